"""Running a job: the client, its scheduler, the task handles, the journal that keeps every
task id through a kernel restart, the poll plan, and the HTTP exchange (``http/``).

Never imports ipywidgets or the widgets: a script runs jobs without them.
"""
