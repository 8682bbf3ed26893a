from django.test import TestCase

from shop.models import Product


class HealthzTests(TestCase):
    def test_healthz_answers_ok(self):
        response = self.client.get("/healthz", secure=True)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok"})

    def test_product_has_a_price(self):
        product = Product.objects.create(name="tea", price="2.50")
        self.assertEqual(str(Product.objects.get(pk=product.pk).price), "2.50")
