"""Cases (办件): the workflow core. `service` is the only writer; `personal` guards ID numbers and phones."""
