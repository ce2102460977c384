"""What DashScope accepts, as data and pure checks: no I/O, no HTTP, no widgets.

``constants.py`` holds every documented number, enum and limit; ``families.py`` the models;
``params.py`` the parameter table (one row per request field: a new parameter goes there,
its checks in ``param_checks.py``); ``request_models.py`` the request classes users build;
``media_rules.py`` what a media file must be; ``regions.py`` the endpoints;
``server_time.py`` the server's time texts.
"""
