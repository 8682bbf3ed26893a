from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from shop.models import Product


def home(request):
    """The home page: a template with a hashed stylesheet link."""
    return render(request, "shop/home.html", {"count": Product.objects.count()})


def healthz(request):
    """Answer 200 when the app runs and its database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok"})
