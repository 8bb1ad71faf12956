#!/usr/bin/env bash
# ensure_postgres: make sure a PostgreSQL server answers on 127.0.0.1:5432 and that the role `radhus`
# (password `radhus`, may create databases) exists; prints the SQLAlchemy URL the tests use.
ensure_postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    local version
    version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)"
    if [ -z "$version" ]; then
      echo "PostgreSQL är inte installerat (apt-get install postgresql)." >&2
      return 1
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  local create="DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='radhus') THEN
    CREATE ROLE radhus LOGIN CREATEDB PASSWORD 'radhus'; END IF; END\$\$;"
  if ! psql -h 127.0.0.1 -U postgres -d postgres -qAt -c "$create" >/dev/null 2>&1; then
    su postgres -c "psql -qAt -d postgres -c \"$create\"" >/dev/null
  fi
  echo "postgresql+psycopg://radhus:radhus@127.0.0.1:5432/postgres"
}
