from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """Answer 200 when the app runs and its database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok"})
