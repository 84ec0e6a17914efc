"""The demo mine's organogram as data: units, positions and the people holding them.

Each position: (code, title, unit code, reports-to code, is unit head, shift code, holder)
where holder is (username, first name, last name) or None for a vacant position.
"""

UNITS = [
    # code, name, kind, parent code
    ("mine", "Kimberlite Ridge Mine", "organisation", None),
    ("mining", "Mining", "department", "mine"),
    ("mining-ug", "Underground Operations", "section", "mining"),
    ("plant", "Processing Plant", "department", "mine"),
    ("security", "Security", "department", "mine"),
    ("engineering", "Engineering", "department", "mine"),
    ("sheq", "SHEQ", "department", "mine"),
    ("hr", "Human Resources", "department", "mine"),
]

SHIFTS = [
    # code, name, unit code, starts, ends
    ("ug-a", "Underground Shift A", "mining-ug", "06:00", "18:00"),
    ("ug-b", "Underground Shift B", "mining-ug", "18:00", "06:00"),
    ("sec-a", "Security Shift A", "security", "06:00", "18:00"),
    ("sec-b", "Security Shift B", "security", "18:00", "06:00"),
    ("plant-a", "Plant Shift A", "plant", "06:00", "18:00"),
    ("plant-b", "Plant Shift B", "plant", "18:00", "06:00"),
]

POSITIONS = [
    ("gm", "General Manager", "mine", None, True, None, ("top", "Johannes", "van der Merwe")),
    # Mining
    ("mining-manager", "Mining Manager", "mining", "gm", True, None, ("depthead", "Nomvula", "Khumalo")),
    ("mine-overseer", "Mine Overseer", "mining-ug", "mining-manager", True, None, ("supervisor", "Pieter", "Botha")),
    (
        "shift-boss-a",
        "Shift Boss, Shift A",
        "mining-ug",
        "mine-overseer",
        False,
        "ug-a",
        ("responsible", "Sipho", "Dlamini"),
    ),
    (
        "shift-boss-b",
        "Shift Boss, Shift B",
        "mining-ug",
        "mine-overseer",
        False,
        "ug-b",
        ("kmokoena", "Kagiso", "Mokoena"),
    ),
    ("miner-a1", "Miner, Shift A", "mining-ug", "shift-boss-a", False, "ug-a", ("reporter", "Thabo", "Nkosi")),
    (
        "miner-a2",
        "Rock Drill Operator, Shift A",
        "mining-ug",
        "shift-boss-a",
        False,
        "ug-a",
        ("lmabuza", "Lerato", "Mabuza"),
    ),
    ("miner-a3", "Loader Operator, Shift A", "mining-ug", "shift-boss-a", False, "ug-a", ("aphiri", "Andile", "Phiri")),
    ("miner-b1", "Miner, Shift B", "mining-ug", "shift-boss-b", False, "ug-b", ("bzulu", "Bongani", "Zulu")),
    (
        "miner-b2",
        "Rock Drill Operator, Shift B",
        "mining-ug",
        "shift-boss-b",
        False,
        "ug-b",
        ("nmthembu", "Nandi", "Mthembu"),
    ),
    (
        "miner-b3",
        "Loader Operator, Shift B",
        "mining-ug",
        "shift-boss-b",
        False,
        "ug-b",
        ("tsithole", "Tshepo", "Sithole"),
    ),
    ("mine-surveyor", "Mine Surveyor", "mining", "mining-manager", False, None, ("rpretorius", "Ruan", "Pretorius")),
    ("geotech", "Geotechnical Engineer", "mining", "mining-manager", False, None, ("zndlovu", "Zanele", "Ndlovu")),
    # Processing plant
    ("plant-manager", "Plant Manager", "plant", "gm", True, None, ("mnaidoo", "Marcus", "Naidoo")),
    ("plant-supervisor", "Plant Supervisor", "plant", "plant-manager", False, None, ("cfourie", "Charlene", "Fourie")),
    ("plant-asst-supervisor", "Assistant Plant Supervisor", "plant", "plant-supervisor", False, None, None),
    (
        "plant-op-a1",
        "DMS Operator, Shift A",
        "plant",
        "plant-supervisor",
        False,
        "plant-a",
        ("smaseko", "Sizwe", "Maseko"),
    ),
    (
        "plant-op-a2",
        "Recovery Operator, Shift A",
        "plant",
        "plant-supervisor",
        False,
        "plant-a",
        ("dmolefe", "Dineo", "Molefe"),
    ),
    (
        "plant-op-b1",
        "DMS Operator, Shift B",
        "plant",
        "plant-supervisor",
        False,
        "plant-b",
        ("vbaloyi", "Vusi", "Baloyi"),
    ),
    (
        "plant-op-b2",
        "Recovery Operator, Shift B",
        "plant",
        "plant-supervisor",
        False,
        "plant-b",
        ("pradebe", "Palesa", "Radebe"),
    ),
    # Security
    ("security-manager", "Security Manager", "security", "gm", True, None, ("gjacobs", "Gerrit", "Jacobs")),
    (
        "security-supervisor-a",
        "Security Supervisor, Shift A",
        "security",
        "security-manager",
        False,
        "sec-a",
        ("nshabalala", "Nkosinathi", "Shabalala"),
    ),
    (
        "security-supervisor-b",
        "Security Supervisor, Shift B",
        "security",
        "security-manager",
        False,
        "sec-b",
        ("ecele", "Esther", "Cele"),
    ),
    (
        "security-officer-a1",
        "Security Officer, Shift A",
        "security",
        "security-supervisor-a",
        False,
        "sec-a",
        ("mngcobo", "Mandla", "Ngcobo"),
    ),
    (
        "security-officer-a2",
        "Surveillance Operator, Shift A",
        "security",
        "security-supervisor-a",
        False,
        "sec-a",
        ("kmahlangu", "Khanyisile", "Mahlangu"),
    ),
    (
        "security-officer-b1",
        "Security Officer, Shift B",
        "security",
        "security-supervisor-b",
        False,
        "sec-b",
        ("sbuthelezi", "Sibusiso", "Buthelezi"),
    ),
    (
        "security-officer-b2",
        "Surveillance Operator, Shift B",
        "security",
        "security-supervisor-b",
        False,
        "sec-b",
        ("ymkhize", "Yolanda", "Mkhize"),
    ),
    # Engineering
    ("engineering-manager", "Engineering Manager", "engineering", "gm", True, None, ("hsmit", "Hendrik", "Smit")),
    (
        "maintenance-supervisor",
        "Maintenance Supervisor",
        "engineering",
        "engineering-manager",
        False,
        None,
        ("tmotaung", "Tumelo", "Motaung"),
    ),
    (
        "artisan-electrical",
        "Electrician",
        "engineering",
        "maintenance-supervisor",
        False,
        None,
        ("jventer", "Jaco", "Venter"),
    ),
    (
        "artisan-fitter",
        "Fitter",
        "engineering",
        "maintenance-supervisor",
        False,
        None,
        ("lnxumalo", "Lindiwe", "Nxumalo"),
    ),
    (
        "artisan-boilermaker",
        "Boilermaker",
        "engineering",
        "maintenance-supervisor",
        False,
        None,
        ("odlamini", "Owen", "Dlamini"),
    ),
    # SHEQ
    ("sheq-manager", "SHEQ Manager", "sheq", "gm", True, None, ("fmoodley", "Fatima", "Moodley")),
    ("safety-officer", "Safety Officer", "sheq", "sheq-manager", False, None, ("bkekana", "Bheki", "Kekana")),
    (
        "environmental-officer",
        "Environmental Officer",
        "sheq",
        "sheq-manager",
        False,
        None,
        ("avanwyk", "Anika", "van Wyk"),
    ),
    ("sheq-custodian", "SHEQ Systems Custodian", "sheq", "sheq-manager", False, None, ("custodian", "Refilwe", "Tau")),
    ("iwms-administrator", "IWMS Administrator", "sheq", "sheq-manager", False, None, ("admin", "Priya", "Govender")),
    # HR
    ("hr-manager", "HR Manager", "hr", "gm", True, None, ("mdube", "Mpho", "Dube")),
    ("hr-officer", "HR Officer", "hr", "hr-manager", False, None, ("cwilliams", "Carmen", "Williams")),
]

# People with an explicit role and no position in the organogram.
OUTSIDERS = [
    # username, first, last, role, note
    ("auditor", "Grace", "Olivier", "auditor", "Internal audit, group assurance"),
    ("regulator", "Daniel", "Mokgosi", "regulator", "Inspector of Mines, DMRE"),
    ("provider", "Elena", "Rossi", "external_provider", "Rockfall Geotech (Pty) Ltd"),
]

EXTRA_GRANTS = [
    ("custodian", "category_custodian", "Custodian of the SHEQ category tree"),
    ("admin", "tenant_admin", "Administers IWMS for the mine"),
]

# Accountability: the head of each department owns what happens in it; the GM owns the rest.
ACCOUNTABILITY = [
    # unit code, accountable position code, kind, category code, description
    ("mine", "gm", "", "", "The General Manager is accountable for anything not covered below."),
    ("mining", "mining-manager", "", "", "Mining incidents are owned by the Mining Manager."),
    ("plant", "plant-manager", "", "", "Processing-plant incidents are owned by the Plant Manager."),
    ("security", "security-manager", "", "", "Security incidents are owned by the Security Manager."),
    ("engineering", "engineering-manager", "", "", "Engineering incidents are owned by the Engineering Manager."),
    ("sheq", "sheq-manager", "", "", "SHEQ incidents are owned by the SHEQ Manager."),
    ("hr", "hr-manager", "", "", "HR events are owned by the HR Manager."),
]

DEMO_LOGINS = [
    # username, role shown to the user
    ("reporter", "reporter (miner, Shift A)"),
    ("responsible", "responsible person (Shift Boss A)"),
    ("supervisor", "supervisor (Mine Overseer)"),
    ("depthead", "department head (Mining Manager)"),
    ("top", "top of hierarchy (General Manager)"),
    ("custodian", "category custodian (SHEQ)"),
    ("admin", "tenant admin"),
    ("auditor", "auditor"),
    ("regulator", "regulator"),
    ("provider", "external provider"),
    ("platform", "platform admin (Django admin, no tenant)"),
]
