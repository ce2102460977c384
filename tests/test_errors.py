"""The error tree: classes picked from answers, messages that say what to do next."""

import pytest

import wanvace_widgets as wv
from wanvace_widgets.errors import api_error_from_response


@pytest.mark.parametrize(
    "status, code, cls",
    [
        (400, "InvalidParameter", wv.BadRequestError),
        (400, "DataInspectionFailed", wv.ContentModerationError),
        (400, "InternalError.Algo.DataInspectionFailed", wv.ContentModerationError),
        (400, "Arrearage", wv.QuotaError),
        (401, "InvalidApiKey", wv.AuthenticationError),
        (403, "AccessDenied", wv.PermissionDeniedError),
        (403, "AllocationQuota.FreeTierOnly", wv.QuotaError),
        (404, "ModelNotFound", wv.NotFoundError),
        (429, "Throttling.RateQuota", wv.RateLimitError),
        (429, "Throttling.AllocationQuota", wv.QuotaError),
        (500, "InternalError", wv.ServerError),
        (503, None, wv.ServerError),
        (418, "Teapot", wv.APIStatusError),
    ],
)
def test_answers_map_to_their_class(status, code, cls):
    body = {"code": code, "message": "m", "request_id": "r-1"} if code else "<html>"
    err = api_error_from_response(status, body, host="h", region="intl")
    assert type(err) is cls
    assert (err.status_code, err.code, err.host) == (status, code, "h")
    assert isinstance(err, wv.APIError) and isinstance(err, wv.VaceError)


def test_msg_alias_and_request_id_are_read():
    err = api_error_from_response(
        400, {"code": "InvalidParameter", "msg": "bad", "request_id": "r"}
    )
    assert err.message == "bad" and err.request_id == "r"
    assert "InvalidParameter: bad" in str(err) and "request_id r" in str(err)


def test_wrong_region_401_names_host_and_region_and_suggests_the_other():
    err = api_error_from_response(
        401,
        {"code": "InvalidApiKey", "message": "Invalid API-key provided."},
        host="dashscope-intl.aliyuncs.com",
        region="intl",
    )
    text = str(err)
    assert "dashscope-intl.aliyuncs.com" in text and "region intl" in text
    assert "region='cn'" in text


def test_wait_timeout_is_a_timeout_and_says_how_to_resume():
    err = wv.WaitTimeoutError("t-1", "RUNNING", 30)
    assert isinstance(err, TimeoutError) and isinstance(err, wv.TaskError)
    assert "may still be running" in str(err) and "client.attach('t-1')" in str(err)


def test_task_failed_carries_server_code_and_message():
    err = wv.TaskFailedError(
        "t-2", "FAILED", code="InvalidParameter", message="The size is not match"
    )
    assert str(err) == "task t-2 ended FAILED: InvalidParameter: The size is not match"
    assert "older than 24 hours" in str(wv.TaskUnknownError("t-3", "UNKNOWN"))


def test_api_timeout_is_a_connection_error_and_a_timeout():
    err = wv.APITimeoutError("read timed out", host="h")
    assert isinstance(err, wv.APIConnectionError) and isinstance(err, TimeoutError)
