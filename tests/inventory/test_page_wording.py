"""What staff read on the inventory pages: plain wording, links where they look for them, clear empty states."""

from django.urls import reverse

PASSWORD = "demo-password-1"


def test_home_reads_plainly_and_links_to_the_full_log(stocked, staff, client_as):
    html = client_as(staff["nurse"]).get(reverse("inventory:home")).content.decode()
    assert "Ledger intact" in html and "1 entry, every seal and link verified, none missing." in html
    assert "Ledger intact: 1 entries" not in html
    assert f'href="{reverse("inventory:log")}"' in html.split("Latest entries", 1)[1]
    assert "<td>Received</td>" in html


def test_empty_pages_say_what_to_do(staff, client_as, db):
    client = client_as(staff["nurse"])
    assert (
        "No entries yet: start by receiving stock." in client.get(reverse("inventory:home")).content.decode()
    )
    assert "No counts yet." in client.get(reverse("inventory:counts")).content.decode()
    html = client.get(reverse("inventory:discrepancies")).content.decode()
    assert "None open" in html and "None resolved yet." in html


def test_resolve_page_explains_an_unexpected_lot_and_cancel_returns_to_the_list(
    stocked, safe, staff, client_as
):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import Discrepancy, Lot

    other = Lot.objects.create(product=stocked.product, lot_number="KX-303", expires_on=stocked.expires_on)
    services.perform_count(
        actor=staff["nurse"],
        witness=staff["director"],
        witness_password=PASSWORD,
        location=safe,
        counted={stocked.pk: 1_999_000, other.pk: 500_000},
    )
    client = client_as(staff["director"])
    short, found = (
        Discrepancy.objects.get(line__lot=stocked),
        Discrepancy.objects.get(line__lot=other),
    )
    html = client.get(reverse("inventory:resolve", args=[found.pk])).content.decode()
    assert "does not place this lot in this safe" in html and "500 mg over" in html
    assert f'href="{reverse("inventory:discrepancies")}">Cancel' in html
    html = client.get(reverse("inventory:resolve", args=[short.pk])).content.decode()
    assert "1 mg short" in html and "does not place" not in html
    home = client.get(reverse("inventory:home")).content.decode()
    assert "2 open discrepancies" in home


def test_inventory_report_offers_the_csv_on_first_view(stocked, staff, client_as):
    client = client_as(staff["director"])
    html = client.get(reverse("inventory:report")).content.decode()
    start = html.index("Export CSV")
    link = html[:start].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    response = client.get(link)
    assert response["Content-Type"] == "text/csv" and "KX-101" in response.content.decode()
