"""Stage: the decision service (``spstotte serve``): the library over HTTP with a published
contract (FastAPI, OpenAPI, problem+json) and a page to try the rules. An optional extra:
``pip install "spstotte[server]"``; the core never imports it (docs/service.md).
"""
