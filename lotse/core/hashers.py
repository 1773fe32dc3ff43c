"""The password hasher: Argon2id with the parameters OWASP's Password Storage Cheat Sheet names
as its first choice (19 MiB memory, 2 iterations, 1 lane).

Why not Django's defaults: PBKDF2 with 1.5 million iterations costs about 0.3 s of CPU per
sign-in, Django's Argon2 settings (100 MiB, 8 lanes) about 0.2 s; on offers day thousands of
families sign in within an hour and hashing alone would need most of a 2-core server. Argon2id
with OWASP's parameters costs about 25 ms and, being memory-hard, is stronger against GPU attacks
than PBKDF2 (docs/performance.md, docs/security.md). Existing hashes of the other hashers in
``PASSWORD_HASHERS`` still verify and are re-hashed with these parameters at the next sign-in.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    # Django's Argon2PasswordHasher already uses the Argon2id variant; only the costs differ.
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
