"""API routes of the platform itself: the API root, the schema, Swagger UI, institutes.

The schema and Swagger UI are public (they describe the API and hold no data)."""

from tests.permissions.registry import api_everyone, api_register

api_register("api-root", get=api_everyone(200))
api_register("api-schema", get=api_everyone(200, anonymous=200))
api_register("api-docs", get=api_everyone(200, anonymous=200))
# Any other /api/ address: the error shape, whatever the method (signed-in or not).
api_register(
    "api-not-found",
    get=api_everyone(404),
    post=api_everyone(404),
    put=api_everyone(404),
    patch=api_everyone(404),
    delete=api_everyone(404),
)

# The institutes directory is readable by every signed-in user; it is not writable.
api_register("institute-list", get=api_everyone(200))
api_register(
    "institute-detail", kwargs=lambda w: {"code": w.institute_a.code}, get=api_everyone(200)
)
