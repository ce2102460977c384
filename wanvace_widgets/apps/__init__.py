"""The front ends beyond the widgets: the ``wanvace`` command (``cli.py``), the Voilà app,
the JupyterLab demo, the tutorials it copies, and the choice of service (``backend.py``)."""
