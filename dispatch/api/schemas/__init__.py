"""The API's typed contract: request bodies, response models and problem documents.

``bodies`` are what clients send; ``resources`` the domain objects as every answer and event
shows them; ``answers`` what individual routes assemble; ``problems`` the error documents. The
front end generates its TypeScript types from the OpenAPI document these produce
(``scripts/openapi.py``).
"""
