from django.core.management.base import BaseCommand

from ketamine_clinic.demo.clinic import demo_logins, seed


class Command(BaseCommand):
    help = "Seed the synthetic demo clinic (idempotent: a second run creates nothing new)."

    def handle(self, *args, **options):
        clinic = seed()
        self.stdout.write(f"Demo clinic ready: {len(clinic.patients)} synthetic patients.")
        self.stdout.write("Demo logins (synthetic; change or remove before real use):")
        for username, password, role in demo_logins():
            self.stdout.write(f"  {username:<12} {password:<18} {role}")
