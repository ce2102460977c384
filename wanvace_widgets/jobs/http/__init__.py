"""The exchange with DashScope: requests and their answers, transfers, retries.

``api.py`` sends requests, ``answers.py`` reads them, ``troubles.py`` decides what a
failure means (retry, wait, give up), ``retry.py`` when to send again, ``uploads.py`` and
``downloads.py`` move the media.
"""
