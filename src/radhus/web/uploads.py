"""Receiving uploaded files: copied in chunks to a private temporary folder, refused once past the size limit."""

import shutil
import tempfile
from pathlib import Path

from fastapi import UploadFile

from radhus.core.errors import InvalidInput

CHUNK = 1024 * 1024


async def save_upload(upload: UploadFile, *, limit_mb: int, name: str = "upload") -> Path:
    """Copy an upload to `<new temporary folder>/<name>`; the caller removes the folder when done."""
    folder = Path(tempfile.mkdtemp(prefix="radhus-upload-"))
    target = folder / name
    size, limit = 0, limit_mb * CHUNK
    with target.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > limit:
                out.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise InvalidInput(f"Filen är större än {limit_mb} MB, som är den största tillåtna storleken.")
            out.write(chunk)
    return target
