"""REST API resources of this app; `config/api_urls.py` lists every route."""
