"""Stored documents: the one way a service keeps an uploaded file and removes it again.

Every app that stores files (event documentation, network and programme-call documents,
Fachberatung documents) has a model with a ``file`` field. Its service first checks the upload
with the upload policy (:mod:`lotse.core.uploads`), sets the row's own fields, and then calls
:func:`document_store` — so a refused upload never leaves a file behind. :func:`document_remove`
deletes the row at once and the file only once the transaction commits, so a rollback keeps
both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile

from .uploads import DOCUMENTS, UploadPolicy


class _HasFile(Protocol):
    file: FieldFile

    def save(self, *args: Any, **kwargs: Any) -> None: ...

    def delete(self, *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the policy: its kind by content, its own name, its size."""

    kind: str
    name: str
    size: int


def upload_check(upload: UploadedFile, policy: UploadPolicy = DOCUMENTS) -> CheckedUpload:
    """Check the upload (content, kind, size; ValidationError in the user's language)."""
    kind = policy.validate(upload)
    return CheckedUpload(
        kind=kind, name=Path(upload.name or "document").name, size=upload.size or 0
    )


def document_store[D: _HasFile](
    document: D, upload: UploadedFile, *, file_name: str = "upload"
) -> D:
    """Write the checked file into ``document.file`` and save the row (fields already set)."""
    document.file.save(file_name, upload, save=False)
    document.save()
    return document


def document_remove(document: _HasFile) -> None:
    """Delete the row now and its file once the transaction commits."""
    file = document.file
    document.delete()
    transaction.on_commit(lambda: file.delete(save=False))
