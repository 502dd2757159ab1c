//! Embeds the dashboard's JavaScript bundle when it has been built
//! (`npm ci --prefix web/dashboard && npm run build --prefix web/dashboard`); without it the
//! dashboard page says how to build it and every other page works as before.

fn main() {
    // The bundle and the third-party license notices esbuild writes beside it go together.
    let bundle = std::path::Path::new("assets/generated/dashboard.js");
    let legal = std::path::Path::new("assets/generated/dashboard.js.LEGAL.txt");
    println!("cargo::rustc-check-cfg=cfg(dashboard_bundle)");
    println!("cargo::rerun-if-changed=assets/generated/dashboard.js");
    println!("cargo::rerun-if-changed=assets/generated/dashboard.js.LEGAL.txt");
    if bundle.exists() && legal.exists() {
        println!("cargo::rustc-cfg=dashboard_bundle");
    }
}
