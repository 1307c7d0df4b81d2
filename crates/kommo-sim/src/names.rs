//! Word lists for realistic Portuguese, Spanish and English accounts.

/// The language a generated person or company belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Locale {
    Pt,
    Es,
    En,
}

impl Locale {
    /// Portuguese 40 %, Spanish 35 %, English 25 %.
    pub(crate) fn from_draw(draw: u64) -> Self {
        match draw % 100 {
            0..=39 => Self::Pt,
            40..=74 => Self::Es,
            _ => Self::En,
        }
    }

    pub(crate) fn first_names(self) -> &'static [&'static str] {
        match self {
            Self::Pt => &[
                "Ana",
                "João",
                "Maria",
                "Pedro",
                "Lucas",
                "Juliana",
                "Gabriel",
                "Fernanda",
                "Rafael",
                "Camila",
                "Mateus",
                "Beatriz",
                "Thiago",
                "Larissa",
                "Bruno",
                "Mariana",
                "Felipe",
                "Letícia",
                "Gustavo",
                "Aline",
                "Rodrigo",
                "Patrícia",
                "Vinícius",
                "Carolina",
                "Diego",
                "Renata",
                "André",
                "Luana",
                "Caio",
                "Débora",
            ],
            Self::Es => &[
                "José",
                "María",
                "Carlos",
                "Lucía",
                "Javier",
                "Sofía",
                "Miguel",
                "Valentina",
                "Alejandro",
                "Camila",
                "Diego",
                "Daniela",
                "Andrés",
                "Paula",
                "Fernando",
                "Isabel",
                "Pablo",
                "Martina",
                "Sergio",
                "Elena",
                "Ricardo",
                "Gabriela",
                "Luis",
                "Carmen",
                "Jorge",
                "Natalia",
                "Manuel",
                "Ximena",
                "Raúl",
                "Alejandra",
            ],
            Self::En => &[
                "James",
                "Mary",
                "John",
                "Patricia",
                "Robert",
                "Jennifer",
                "Michael",
                "Linda",
                "William",
                "Elizabeth",
                "David",
                "Susan",
                "Richard",
                "Jessica",
                "Joseph",
                "Sarah",
                "Thomas",
                "Karen",
                "Daniel",
                "Emily",
                "Matthew",
                "Olivia",
                "Anthony",
                "Emma",
                "Mark",
                "Hannah",
                "Steven",
                "Grace",
                "Paul",
                "Chloe",
            ],
        }
    }

    pub(crate) fn last_names(self) -> &'static [&'static str] {
        match self {
            Self::Pt => &[
                "Silva",
                "Santos",
                "Oliveira",
                "Souza",
                "Rodrigues",
                "Ferreira",
                "Alves",
                "Pereira",
                "Lima",
                "Gomes",
                "Costa",
                "Ribeiro",
                "Martins",
                "Carvalho",
                "Almeida",
                "Lopes",
                "Soares",
                "Fernandes",
                "Vieira",
                "Barbosa",
                "Rocha",
                "Dias",
                "Nascimento",
                "Andrade",
                "Moreira",
                "Nunes",
                "Marques",
                "Machado",
                "Mendes",
                "Freitas",
            ],
            Self::Es => &[
                "García",
                "Rodríguez",
                "González",
                "Fernández",
                "López",
                "Martínez",
                "Sánchez",
                "Pérez",
                "Gómez",
                "Martín",
                "Jiménez",
                "Ruiz",
                "Hernández",
                "Díaz",
                "Moreno",
                "Muñoz",
                "Álvarez",
                "Romero",
                "Alonso",
                "Gutiérrez",
                "Navarro",
                "Torres",
                "Domínguez",
                "Vázquez",
                "Ramos",
                "Gil",
                "Ramírez",
                "Serrano",
                "Blanco",
                "Castillo",
            ],
            Self::En => &[
                "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
                "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson",
                "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Allen", "Young", "King",
                "Wright", "Scott", "Green", "Baker", "Adams",
            ],
        }
    }

    pub(crate) fn company_words(self) -> &'static [&'static str] {
        match self {
            Self::Pt => &[
                "Horizonte",
                "Aurora",
                "Atlântico",
                "Cerrado",
                "Ipê",
                "Mantiqueira",
                "Paraná",
                "Ribeira",
                "Serra Azul",
                "Vale Verde",
                "Boa Vista",
                "Sol Nascente",
                "Araucária",
                "Jatobá",
                "Litoral",
                "Pampa",
            ],
            Self::Es => &[
                "Andina",
                "Pacífico",
                "Sierra",
                "Del Valle",
                "Mirador",
                "Los Olivos",
                "Cordillera",
                "Altamira",
                "Río Claro",
                "Monteverde",
                "La Estrella",
                "San Telmo",
                "Cumbre",
                "Alborada",
                "Patagonia",
                "Solana",
            ],
            Self::En => &[
                "Northwind",
                "Bluebird",
                "Summit",
                "Riverside",
                "Oakridge",
                "Harbor",
                "Pinecrest",
                "Silverline",
                "Brightwater",
                "Redwood",
                "Ironbridge",
                "Lakeside",
                "Westfield",
                "Stonegate",
                "Evergreen",
                "Highland",
            ],
        }
    }

    pub(crate) fn company_kinds(self) -> &'static [&'static str] {
        match self {
            Self::Pt => &[
                "Comércio Ltda",
                "Tecnologia",
                "Consultoria",
                "Distribuidora",
                "Engenharia",
                "Alimentos",
                "Logística",
                "Serviços",
            ],
            Self::Es => &[
                "S.A.",
                "Tecnología",
                "Consultores",
                "Distribuciones",
                "Ingeniería",
                "Alimentos",
                "Logística",
                "Servicios",
            ],
            Self::En => &[
                "Inc.",
                "Technologies",
                "Consulting",
                "Supply Co.",
                "Engineering",
                "Foods",
                "Logistics",
                "Services",
            ],
        }
    }

    /// Lead name templates' nouns: what is being sold.
    pub(crate) fn deal_words(self) -> &'static [&'static str] {
        match self {
            Self::Pt => &[
                "Proposta",
                "Orçamento",
                "Pedido",
                "Renovação",
                "Plano anual",
                "Implantação",
                "Consultoria",
                "Licenças",
            ],
            Self::Es => &[
                "Propuesta",
                "Cotización",
                "Pedido",
                "Renovación",
                "Plan anual",
                "Implementación",
                "Asesoría",
                "Licencias",
            ],
            Self::En => &[
                "Proposal",
                "Quote",
                "Order",
                "Renewal",
                "Annual plan",
                "Onboarding",
                "Consulting",
                "Licenses",
            ],
        }
    }

    pub(crate) fn email_domains(self) -> &'static [&'static str] {
        match self {
            Self::Pt => &[
                "gmail.com",
                "hotmail.com",
                "uol.com.br",
                "outlook.com",
                "yahoo.com.br",
                "bol.com.br",
            ],
            Self::Es => &[
                "gmail.com",
                "hotmail.com",
                "outlook.es",
                "yahoo.es",
                "live.com.mx",
                "prodigy.net.mx",
            ],
            Self::En => &[
                "gmail.com",
                "outlook.com",
                "yahoo.com",
                "icloud.com",
                "aol.com",
                "proton.me",
            ],
        }
    }

    /// Country calling code and the digits that follow.
    pub(crate) fn phone_prefix(self, draw: u64) -> &'static str {
        match self {
            Self::Pt => ["+55 11 9", "+55 21 9", "+55 31 9", "+351 91"][(draw % 4) as usize],
            Self::Es => ["+34 6", "+52 55 ", "+57 3", "+54 9 11 "][(draw % 4) as usize],
            Self::En => ["+1 415 ", "+1 212 ", "+44 7", "+1 312 "][(draw % 4) as usize],
        }
    }

    pub(crate) fn lang(self) -> &'static str {
        match self {
            Self::Pt => "pt",
            Self::Es => "es",
            Self::En => "en",
        }
    }
}

/// Lowercase ASCII for e-mail local parts and domains.
pub(crate) fn ascii_slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            'á' | 'à' | 'â' | 'ã' | 'Á' | 'Â' | 'Ã' => 'a',
            'é' | 'ê' | 'É' | 'Ê' => 'e',
            'í' | 'Í' => 'i',
            'ó' | 'ô' | 'õ' | 'Ó' | 'Ô' => 'o',
            'ú' | 'ü' | 'Ú' => 'u',
            'ç' | 'Ç' => 'c',
            'ñ' | 'Ñ' => 'n',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => continue,
        };
        out.push(c);
    }
    out
}

pub(crate) const PIPELINE_NAMES: &[&str] = &[
    "Sales",
    "Partners",
    "Renewals",
    "Enterprise",
    "Inbound",
    "Events",
    "Resellers",
    "Support upsell",
];

/// Open stages per pipeline, with the colours Kommo offers.
pub(crate) const STAGE_NAMES: &[&str] = &[
    "Initial contact",
    "Qualification",
    "Discussions",
    "Proposal sent",
    "Decision making",
    "Contract discussion",
    "Negotiation",
    "Awaiting payment",
];

pub(crate) const STATUS_COLORS: &[&str] = &[
    "#fffeb2", "#fffd7f", "#fff000", "#ffeab2", "#ffdc7f", "#ffce5a", "#ffdbdb", "#ffc8c8",
    "#ff8f92", "#d6eaff", "#c1e0ff", "#98cbff", "#ebffb1", "#deff81", "#87f2c0", "#f9deff",
    "#f3beff", "#ccc8f9", "#eb93ff", "#f2f3f4", "#e6e8ea", "#99ccff", "#ffff99", "#ffcc66",
    "#ffcccc",
];

/// Tag colours: hex without `#`, as Kommo sends them.
pub(crate) const TAG_COLORS: &[&str] = &[
    "FFCE5A", "F37575", "8CF5C8", "9FC9FF", "C39BFF", "FFD4A3", "D5D8DB", "87F2C0", "F9DEFF",
    "E6E8EA",
];

pub(crate) const LEAD_TAGS: &[&str] = &[
    "VIP",
    "website",
    "referral",
    "instagram",
    "whatsapp",
    "facebook",
    "event",
    "cold call",
    "upsell",
    "urgent",
    "partner",
    "black friday",
    "newsletter",
    "trade show",
    "google ads",
    "linkedin",
    "returning",
    "discount",
    "enterprise",
    "smb",
];
pub(crate) const CONTACT_TAGS: &[&str] = &[
    "decision maker",
    "influencer",
    "champion",
    "billing",
    "technical",
    "newsletter",
    "do not call",
    "vip",
];
pub(crate) const COMPANY_TAGS: &[&str] = &[
    "key account",
    "prospect",
    "customer",
    "partner",
    "reseller",
    "churned",
];

pub(crate) const LOSS_REASONS: &[&str] = &[
    "Insufficient budget",
    "Chose a competitor",
    "No response",
    "Not the right time",
    "Product does not fit",
    "Price too high",
];

pub(crate) const SOURCES: &[(&str, &str)] = &[
    ("Website form", "form"),
    ("WhatsApp", "whatsapp"),
    ("Instagram", "instagram"),
    ("Facebook Messenger", "facebook"),
    ("Phone calls", "sip"),
    ("Email", "email"),
];

pub(crate) const GROUP_NAMES: &[&str] = &[
    "Sales São Paulo",
    "Ventas México",
    "Sales US",
    "Ventas Madrid",
    "Inside sales",
];

pub(crate) const TASK_TEXTS: &[&str] = &[
    "Call back about the proposal",
    "Send the quote",
    "Follow up after the demo",
    "Confirm the meeting",
    "Ligar para o cliente",
    "Enviar contrato",
    "Llamar al cliente",
    "Enviar la cotización",
    "Check payment",
    "Prepare the presentation",
];

pub(crate) const TASK_RESULTS: &[&str] = &[
    "Done",
    "Client asked for a new quote",
    "Cliente interessado",
    "No answer, will retry",
    "Reunión agendada",
];

pub(crate) const PRODUCTS: &[&str] = &[
    "CRM Basic",
    "CRM Pro",
    "Consulting hours",
    "Training",
    "Integration",
    "Support plan",
];
pub(crate) const INDUSTRIES: &[&str] = &[
    "Retail",
    "Manufacturing",
    "Education",
    "Healthcare",
    "Finance",
    "Real estate",
    "Tourism",
];

/// Generated values of contacts' `POSITION` field.
pub(crate) const POSITIONS: &[&str] = &[
    "CEO",
    "Sales manager",
    "Gerente",
    "Director",
    "Buyer",
    "CTO",
    "Analista",
];

/// Streets of generated company addresses.
pub(crate) const STREETS: &[&str] = &[
    "Av. Paulista",
    "Calle Mayor",
    "Main Street",
    "Rua Augusta",
    "Paseo de la Reforma",
];

/// Generated values of free-text comment fields.
pub(crate) const COMMENTS: &[&str] = &[
    "Prefers WhatsApp",
    "Call after 14h",
    "Budget approved",
    "Needs a demo",
    "Cliente antigo",
    "Pidió descuento",
];
