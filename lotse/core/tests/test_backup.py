import pytest
from django.core.management import call_command

from lotse.accounts.models import Membership, Organisation, Role, User
from lotse.core.backup import BackupError, backup_create, backup_restore
from lotse.directory.models import District, Facility


@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_a_fresh_database(
    tmp_path, make_user, make_org, make_facility, settings
):
    kita = make_org(Organisation.Kind.FACILITY, name="Kita Möwe")
    make_user(Role.FACILITY_STAFF, kita, email="staff@example.org", full_name="Jörg Ünal")
    district = District.objects.create(municipality="Flensburg", name="Jürgensby")
    facility = make_facility(
        name="Möwennest", district=district, opening_hours={"mon": ["07:00", "16:00"]}
    )
    upload = settings.MEDIA_ROOT / "documents" / "protokoll.pdf"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"%PDF-1.4 minutes")
    archive = tmp_path / "backup.tar.gz"

    counts = backup_create(archive)
    assert counts["directory.facility"] == 1 and counts["accounts.user"] == 1

    call_command("flush", interactive=False, verbosity=0)
    upload.unlink()
    assert not Facility.objects.exists()

    restored = backup_restore(archive)
    assert restored == counts
    user = User.objects.get(email="staff@example.org")
    assert user.full_name == "Jörg Ünal" and user.check_password("correct-horse-9")
    membership = Membership.objects.get(user=user)
    assert membership.organisation.name == "Kita Möwe" and membership.role == Role.FACILITY_STAFF
    again = Facility.objects.get(name="Möwennest")
    assert again.district.name == "Jürgensby" and again.opening_hours == facility.opening_hours
    assert again.search_text == facility.search_text
    assert upload.read_bytes() == b"%PDF-1.4 minutes"


def test_restore_rejects_a_file_that_is_no_backup(tmp_path):
    bogus = tmp_path / "x.tar.gz"
    import tarfile

    with tarfile.open(bogus, "w:gz"):
        pass
    with pytest.raises(BackupError, match="not a Lotse backup"):
        backup_restore(bogus)
    with pytest.raises(BackupError, match="not found"):
        backup_restore(tmp_path / "missing.tar.gz")
