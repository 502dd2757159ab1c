//! Embeds the dashboard's JavaScript bundle when it has been built
//! (`npm ci --prefix web/dashboard && npm run build --prefix web/dashboard`); without it the
//! dashboard page says how to build it and every other page works as before.

fn main() {
    let bundle = std::path::Path::new("assets/generated/dashboard.js");
    println!("cargo::rustc-check-cfg=cfg(dashboard_bundle)");
    println!("cargo::rerun-if-changed=assets/generated/dashboard.js");
    if bundle.exists() {
        println!("cargo::rustc-cfg=dashboard_bundle");
    }
}
