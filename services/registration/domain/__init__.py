"""Registration's rules, pure: typed values in, values out.

- `organizations`: who is registered (an application read by the district's rules), what may change, suspension
  and reinstatement.
- `people`: an organization's people, their ID numbers checked and kept only hashed and masked.
- `uscc`: the unified social credit code (GB 32100-2015).
- `identity`: citizen ID numbers (GB 11643-1999) and phones: checked, masked, hashed.
- `census`: organizations per street and community, and the communities with too few.
"""
