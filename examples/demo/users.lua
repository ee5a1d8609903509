-- Copyright The OpenTelemetry Authors
-- SPDX-License-Identifier: Apache-2.0

-- Record UDFs of the demo (registered as module `users`).

-- Adds one year to the user's age; returns the new age.
function birthday(rec)
  if not aerospike:exists(rec) then
    return nil
  end
  rec['age'] = (rec['age'] or 0) + 1
  aerospike:update(rec)
  return rec['age']
end
