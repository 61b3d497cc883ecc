"""State venture funds' loss tolerance (容亏) over the fund's life, and technology-transfer due diligence."""
