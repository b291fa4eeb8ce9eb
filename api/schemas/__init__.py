"""The bodies the use cases take and return, per resource: XCreate / XUpdate in, XPublic out.

Shared by both faces of api/: the JSON routes (api/routes/) speak them as they are, the staff
pages (api/pages/, to come) render the same results and build the same inputs from forms.
Pydantic only: no FastAPI here (path and query parameters are in api/routes/params.py).
"""
