//! INSDC country names (the `geo_loc_name` vocabulary of ENA and NCBI) mapped to the EU
//! countries-and-territories NAL.
//!
//! A table rather than an ISO 3166 crate: INSDC names are not ISO names ("USA", "Russia", "Viet
//! Nam", "Cote d'Ivoire", "Czech Republic"), so a crate would still need an exception list for most
//! entries, and INSDC also lists seas, oceans and islands that no country code covers. Every INSDC
//! name is listed in [`INSDC_COUNTRIES`]: with the NAL code it maps to, or with `None` when no NAL
//! country matches exactly (oceans, seas, parts of a country or territory). Unmapped names are
//! left out of `dct:spatial` and reported; a wrong or invented IRI is never emitted.

/// Every INSDC country name with the EU NAL code it maps to. NAL codes are ISO 3166-1 alpha-3,
/// except where the NAL has its own code (Kosovo: `1A0`).
pub const INSDC_COUNTRIES: &[(&str, Option<&str>)] = &[
    ("Afghanistan", Some("AFG")),
    ("Albania", Some("ALB")),
    ("Algeria", Some("DZA")),
    ("American Samoa", Some("ASM")),
    ("Andorra", Some("AND")),
    ("Angola", Some("AGO")),
    ("Anguilla", Some("AIA")),
    ("Antarctica", Some("ATA")),
    ("Antigua and Barbuda", Some("ATG")),
    ("Arctic Ocean", None),
    ("Argentina", Some("ARG")),
    ("Armenia", Some("ARM")),
    ("Aruba", Some("ABW")),
    // An Australian external territory without a code of its own.
    ("Ashmore and Cartier Islands", None),
    ("Atlantic Ocean", None),
    ("Australia", Some("AUS")),
    ("Austria", Some("AUT")),
    ("Azerbaijan", Some("AZE")),
    ("Bahamas", Some("BHS")),
    ("Bahrain", Some("BHR")),
    // Baker, Howland, Jarvis, Johnston, Kingman, Midway, Palmyra, Wake, Navassa: single islands
    // of the US Minor Outlying Islands (UMI); naming the whole group would overstate coverage.
    ("Baker Island", None),
    ("Baltic Sea", None),
    ("Bangladesh", Some("BGD")),
    ("Barbados", Some("BRB")),
    // Bassas da India, Europa, Glorioso, Juan de Nova, Tromelin: single Scattered Islands, part of
    // the French Southern Territories.
    ("Bassas da India", None),
    ("Belarus", Some("BLR")),
    ("Belgium", Some("BEL")),
    ("Belize", Some("BLZ")),
    ("Benin", Some("BEN")),
    ("Bermuda", Some("BMU")),
    ("Bhutan", Some("BTN")),
    ("Bolivia", Some("BOL")),
    // An island shared by three countries.
    ("Borneo", None),
    ("Bosnia and Herzegovina", Some("BIH")),
    ("Botswana", Some("BWA")),
    ("Bouvet Island", Some("BVT")),
    ("Brazil", Some("BRA")),
    ("British Virgin Islands", Some("VGB")),
    ("Brunei", Some("BRN")),
    ("Bulgaria", Some("BGR")),
    ("Burkina Faso", Some("BFA")),
    ("Burundi", Some("BDI")),
    ("Cambodia", Some("KHM")),
    ("Cameroon", Some("CMR")),
    ("Canada", Some("CAN")),
    ("Cape Verde", Some("CPV")),
    ("Cayman Islands", Some("CYM")),
    ("Central African Republic", Some("CAF")),
    ("Chad", Some("TCD")),
    ("Chile", Some("CHL")),
    ("China", Some("CHN")),
    ("Christmas Island", Some("CXR")),
    // No ISO 3166-1 code.
    ("Clipperton Island", None),
    ("Cocos Islands", Some("CCK")),
    ("Colombia", Some("COL")),
    ("Comoros", Some("COM")),
    ("Cook Islands", Some("COK")),
    ("Coral Sea Islands", None),
    ("Costa Rica", Some("CRI")),
    ("Cote d'Ivoire", Some("CIV")),
    ("Croatia", Some("HRV")),
    ("Cuba", Some("CUB")),
    ("Curacao", Some("CUW")),
    ("Cyprus", Some("CYP")),
    ("Czechia", Some("CZE")),
    ("Czech Republic", Some("CZE")),
    ("Democratic Republic of the Congo", Some("COD")),
    ("Denmark", Some("DNK")),
    ("Djibouti", Some("DJI")),
    ("Dominica", Some("DMA")),
    ("Dominican Republic", Some("DOM")),
    ("Ecuador", Some("ECU")),
    ("Egypt", Some("EGY")),
    ("El Salvador", Some("SLV")),
    ("Equatorial Guinea", Some("GNQ")),
    ("Eritrea", Some("ERI")),
    ("Estonia", Some("EST")),
    ("Eswatini", Some("SWZ")),
    ("Ethiopia", Some("ETH")),
    ("Europa Island", None),
    ("Falkland Islands (Islas Malvinas)", Some("FLK")),
    ("Faroe Islands", Some("FRO")),
    ("Fiji", Some("FJI")),
    ("Finland", Some("FIN")),
    ("France", Some("FRA")),
    ("French Guiana", Some("GUF")),
    ("French Polynesia", Some("PYF")),
    ("French Southern and Antarctic Lands", Some("ATF")),
    ("Gabon", Some("GAB")),
    ("Gambia", Some("GMB")),
    // Part of the State of Palestine (PSE), as is the West Bank.
    ("Gaza Strip", None),
    ("Georgia", Some("GEO")),
    ("Germany", Some("DEU")),
    ("Ghana", Some("GHA")),
    ("Gibraltar", Some("GIB")),
    ("Glorioso Islands", None),
    ("Greece", Some("GRC")),
    ("Greenland", Some("GRL")),
    ("Grenada", Some("GRD")),
    ("Guadeloupe", Some("GLP")),
    ("Guam", Some("GUM")),
    ("Guatemala", Some("GTM")),
    ("Guernsey", Some("GGY")),
    ("Guinea", Some("GIN")),
    ("Guinea-Bissau", Some("GNB")),
    ("Guyana", Some("GUY")),
    ("Haiti", Some("HTI")),
    ("Heard Island and McDonald Islands", Some("HMD")),
    ("Honduras", Some("HND")),
    ("Hong Kong", Some("HKG")),
    ("Howland Island", None),
    ("Hungary", Some("HUN")),
    ("Iceland", Some("ISL")),
    ("India", Some("IND")),
    ("Indian Ocean", None),
    ("Indonesia", Some("IDN")),
    ("Iran", Some("IRN")),
    ("Iraq", Some("IRQ")),
    ("Ireland", Some("IRL")),
    ("Isle of Man", Some("IMN")),
    ("Israel", Some("ISR")),
    ("Italy", Some("ITA")),
    ("Jamaica", Some("JAM")),
    // Part of Svalbard and Jan Mayen (SJM), as is Svalbard.
    ("Jan Mayen", None),
    ("Japan", Some("JPN")),
    ("Jarvis Island", None),
    ("Jersey", Some("JEY")),
    ("Johnston Atoll", None),
    ("Jordan", Some("JOR")),
    ("Juan de Nova Island", None),
    ("Kazakhstan", Some("KAZ")),
    ("Kenya", Some("KEN")),
    ("Kerguelen Archipelago", None),
    ("Kingman Reef", None),
    ("Kiribati", Some("KIR")),
    // The EU NAL's own code: Kosovo has no ISO 3166-1 alpha-3 code.
    ("Kosovo", Some("1A0")),
    ("Kuwait", Some("KWT")),
    ("Kyrgyzstan", Some("KGZ")),
    ("Laos", Some("LAO")),
    ("Latvia", Some("LVA")),
    ("Lebanon", Some("LBN")),
    ("Lesotho", Some("LSO")),
    ("Liberia", Some("LBR")),
    ("Libya", Some("LBY")),
    ("Liechtenstein", Some("LIE")),
    // Split between Kiribati and the US Minor Outlying Islands.
    ("Line Islands", None),
    ("Lithuania", Some("LTU")),
    ("Luxembourg", Some("LUX")),
    ("Macau", Some("MAC")),
    ("Madagascar", Some("MDG")),
    ("Malawi", Some("MWI")),
    ("Malaysia", Some("MYS")),
    ("Maldives", Some("MDV")),
    ("Mali", Some("MLI")),
    ("Malta", Some("MLT")),
    ("Marshall Islands", Some("MHL")),
    ("Martinique", Some("MTQ")),
    ("Mauritania", Some("MRT")),
    ("Mauritius", Some("MUS")),
    ("Mayotte", Some("MYT")),
    ("Mediterranean Sea", None),
    ("Mexico", Some("MEX")),
    ("Micronesia, Federated States of", Some("FSM")),
    ("Midway Islands", None),
    ("Moldova", Some("MDA")),
    ("Monaco", Some("MCO")),
    ("Mongolia", Some("MNG")),
    ("Montenegro", Some("MNE")),
    ("Montserrat", Some("MSR")),
    ("Morocco", Some("MAR")),
    ("Mozambique", Some("MOZ")),
    ("Myanmar", Some("MMR")),
    ("Namibia", Some("NAM")),
    ("Nauru", Some("NRU")),
    ("Navassa Island", None),
    ("Nepal", Some("NPL")),
    ("Netherlands", Some("NLD")),
    ("New Caledonia", Some("NCL")),
    ("New Zealand", Some("NZL")),
    ("Nicaragua", Some("NIC")),
    ("Niger", Some("NER")),
    ("Nigeria", Some("NGA")),
    ("Niue", Some("NIU")),
    ("Norfolk Island", Some("NFK")),
    ("North Korea", Some("PRK")),
    ("North Macedonia", Some("MKD")),
    ("North Sea", None),
    ("Northern Mariana Islands", Some("MNP")),
    ("Norway", Some("NOR")),
    ("Oman", Some("OMN")),
    ("Pacific Ocean", None),
    ("Pakistan", Some("PAK")),
    ("Palau", Some("PLW")),
    ("Palmyra Atoll", None),
    ("Panama", Some("PAN")),
    ("Papua New Guinea", Some("PNG")),
    // Disputed islands without a country code.
    ("Paracel Islands", None),
    ("Paraguay", Some("PRY")),
    ("Peru", Some("PER")),
    ("Philippines", Some("PHL")),
    ("Pitcairn Islands", Some("PCN")),
    ("Poland", Some("POL")),
    ("Portugal", Some("PRT")),
    ("Puerto Rico", Some("PRI")),
    ("Qatar", Some("QAT")),
    ("Republic of the Congo", Some("COG")),
    ("Reunion", Some("REU")),
    ("Romania", Some("ROU")),
    ("Ross Sea", None),
    ("Russia", Some("RUS")),
    ("Rwanda", Some("RWA")),
    ("Saint Barthelemy", Some("BLM")),
    ("Saint Helena", Some("SHN")),
    ("Saint Kitts and Nevis", Some("KNA")),
    ("Saint Lucia", Some("LCA")),
    ("Saint Pierre and Miquelon", Some("SPM")),
    ("Saint Vincent and the Grenadines", Some("VCT")),
    ("Samoa", Some("WSM")),
    ("San Marino", Some("SMR")),
    ("Saint Martin", Some("MAF")),
    ("Sao Tome and Principe", Some("STP")),
    ("Saudi Arabia", Some("SAU")),
    ("Senegal", Some("SEN")),
    ("Serbia", Some("SRB")),
    ("Seychelles", Some("SYC")),
    ("Sierra Leone", Some("SLE")),
    ("Singapore", Some("SGP")),
    ("Sint Maarten", Some("SXM")),
    ("Slovakia", Some("SVK")),
    ("Slovenia", Some("SVN")),
    ("Solomon Islands", Some("SLB")),
    ("Somalia", Some("SOM")),
    ("South Africa", Some("ZAF")),
    ("South Georgia and the South Sandwich Islands", Some("SGS")),
    ("South Korea", Some("KOR")),
    ("South Sudan", Some("SSD")),
    ("Southern Ocean", None),
    ("Spain", Some("ESP")),
    ("Spratly Islands", None),
    ("Sri Lanka", Some("LKA")),
    ("State of Palestine", Some("PSE")),
    ("Sudan", Some("SDN")),
    ("Suriname", Some("SUR")),
    ("Svalbard", None),
    ("Sweden", Some("SWE")),
    ("Switzerland", Some("CHE")),
    ("Syria", Some("SYR")),
    ("Taiwan", Some("TWN")),
    ("Tajikistan", Some("TJK")),
    ("Tanzania", Some("TZA")),
    ("Tasman Sea", None),
    ("Thailand", Some("THA")),
    ("Timor-Leste", Some("TLS")),
    ("Togo", Some("TGO")),
    ("Tokelau", Some("TKL")),
    ("Tonga", Some("TON")),
    ("Trinidad and Tobago", Some("TTO")),
    ("Tromelin Island", None),
    ("Tunisia", Some("TUN")),
    ("Turkey", Some("TUR")),
    ("Turkmenistan", Some("TKM")),
    ("Turks and Caicos Islands", Some("TCA")),
    ("Tuvalu", Some("TUV")),
    ("USA", Some("USA")),
    ("Uganda", Some("UGA")),
    ("Ukraine", Some("UKR")),
    ("United Arab Emirates", Some("ARE")),
    ("United Kingdom", Some("GBR")),
    ("Uruguay", Some("URY")),
    ("Uzbekistan", Some("UZB")),
    ("Vanuatu", Some("VUT")),
    ("Venezuela", Some("VEN")),
    ("Viet Nam", Some("VNM")),
    ("Wake Island", None),
    // INSDC's "Virgin Islands" are the US Virgin Islands.
    ("Virgin Islands", Some("VIR")),
    ("Wallis and Futuna", Some("WLF")),
    ("West Bank", None),
    ("Western Sahara", Some("ESH")),
    ("Yemen", Some("YEM")),
    ("Zambia", Some("ZMB")),
    ("Zimbabwe", Some("ZWE")),
];

/// The label stated for a NAL country concept: the INSDC name, except where that name is an
/// abbreviation or an older name of the same country.
fn label(insdc: &'static str, code: &'static str) -> &'static str {
    match code {
        "USA" => "United States",
        "CZE" => "Czechia",
        "FLK" => "Falkland Islands",
        "MAC" => "Macao",
        "CCK" => "Cocos (Keeling) Islands",
        "VIR" => "United States Virgin Islands",
        _ => insdc,
    }
}

/// A country resolved from an INSDC name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    /// The EU country NAL code (ISO 3166-1 alpha-3 where one exists).
    pub code: &'static str,
    /// The English label stated for it.
    pub label: &'static str,
}

impl Country {
    /// The concept's IRI in the EU country NAL.
    pub fn iri(self) -> String {
        format!("{}/{}", crate::vocab::COUNTRY.iri, self.code)
    }
}

/// Resolves an INSDC country name, or a full `geo_loc_name` value such as "Denmark: Copenhagen"
/// (the part before the colon is the country). Case is ignored. `None` for names without an
/// exact NAL country and for INSDC's missing-value terms ("missing", "not collected", …).
pub fn country(insdc_name: &str) -> Option<Country> {
    let name = insdc_name.split(':').next().unwrap_or_default().trim();
    INSDC_COUNTRIES
        .iter()
        .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
        .and_then(|(candidate, code)| code.map(|code| Country { code, label: label(candidate, code) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_names_that_differ_from_iso() {
        assert_eq!(country("Denmark").map(|c| c.code), Some("DNK"));
        assert_eq!(country("USA").map(|c| c.code), Some("USA"));
        assert_eq!(country("Viet Nam").map(|c| c.code), Some("VNM"));
        assert_eq!(country("Cote d'Ivoire").map(|c| c.code), Some("CIV"));
        assert_eq!(country("Czech Republic").map(|c| c.label), Some("Czechia"));
        assert_eq!(country("Kosovo").map(|c| c.code), Some("1A0"));
        assert_eq!(
            country("USA").map(Country::iri).as_deref(),
            Some("http://publications.europa.eu/resource/authority/country/USA")
        );
    }

    #[test]
    fn reads_geo_loc_name_values_and_ignores_case() {
        assert_eq!(country("Denmark: Copenhagen").map(|c| c.code), Some("DNK"));
        assert_eq!(country("  viet nam ").map(|c| c.code), Some("VNM"));
    }

    #[test]
    fn leaves_out_what_no_country_covers() {
        for name in ["Atlantic Ocean", "Gaza Strip", "Borneo", "missing", "not collected", "", "Narnia"] {
            assert_eq!(country(name), None, "{name}");
        }
    }

    #[test]
    fn table_is_consistent() {
        let mut names = std::collections::BTreeSet::new();
        for (name, code) in INSDC_COUNTRIES {
            assert!(names.insert(name.to_ascii_lowercase()), "{name} listed twice");
            if let Some(code) = code {
                assert_eq!(code.len(), 3, "{name}: {code}");
                assert!(code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()), "{code}");
            }
        }
    }

    /// The table covers INSDC's whole list, which the ENA checklist in the shared data carries as
    /// the controlled values of `geo_loc_name`'s country.
    #[test]
    fn covers_every_insdc_country_of_the_ena_checklist() {
        fn find_list(value: &serde_json::Value) -> Option<Vec<String>> {
            match value {
                serde_json::Value::Array(items) if items.iter().any(|i| i == "Viet Nam") => {
                    Some(items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
                }
                serde_json::Value::Array(items) => items.iter().find_map(find_list),
                serde_json::Value::Object(map) => map.values().find_map(find_list),
                _ => None,
            }
        }
        let Some(data) = virion_testdata::shared_data() else { return };
        let text = std::fs::read_to_string(data.join("ena/ERC000033.json")).expect("ERC000033.json");
        let json: serde_json::Value = serde_json::from_str(&text).expect("ERC000033.json is JSON");
        let listed = find_list(&json).expect("country list in ERC000033.json");
        let countries: Vec<&String> = listed
            .iter()
            .filter(|s| !s.starts_with("missing") && !s.starts_with("not ") && *s != "restricted access")
            .collect();
        assert!(countries.len() > 250, "{} names", countries.len());
        for name in countries {
            assert!(INSDC_COUNTRIES.iter().any(|(n, _)| n == name), "{name} is not in the table");
        }
    }
}
