// Creates a rhydb table the way `rhydb initialize` does (database_config.yaml + reference genomes +
// lineage definitions), inside a Database object that Python's `rhydb.Database()` owns.
//
// Why: rhydb's Python bindings (0.16.0) can only create tables through SaneQL `createTable`, whose
// `string()` type takes `generateIndex` only, so no column can get a lineage index
// (`generateLineageIndex`) and `lineage(col, 'JN.1', includeSublineages:=true)` fails with
// "The database does not contain a lineage index for the column ...". The wheel's database.so does
// contain SILO's Initializer, with default-visibility symbols; this shim calls it through dlsym:
//   InitializeConfig::getConfigSpecification(), YamlFile::readFile(path).verify(spec),
//   InitializeConfig::withDefaults().overwriteFrom(attrs), then
//   Initializer::createTableInDatabase(TableName, InitializationFiles const&, Database&).
// Class objects are treated as opaque buffers: every call that returns a class by value takes the
// Itanium-ABI return slot as first argument, and the only layout assumed is that
// InitializationFiles is InitializeConfig's first member, which is checked at run time by asking
// it for its database config path. Build: g++ -std=c++20 -O1 -shared -fPIC (same GCC 12 / libstdc++
// ABI as the wheel). Used by bench/reference_engines.py; never part of the product.
#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace {
void* opaque() {
   // Generous and leaked: these objects are a few hundred bytes and live once per process.
   void* p = ::operator new(1 << 16);
   std::memset(p, 0, 1 << 16);
   return p;
}
}  // namespace

extern "C" int rhydb_initialize_table(
   const char* database_so,
   void* database,
   const char* table_name,
   const char* initialize_yaml,
   char* message,
   size_t message_len
) {
   try {
      void* lib = dlopen(database_so, RTLD_NOW | RTLD_NOLOAD);
      if (lib == nullptr) {
         std::snprintf(message, message_len, "dlopen(%s): %s", database_so, dlerror());
         return 1;
      }
      auto sym = [&](const char* name) {
         void* p = dlsym(lib, name);
         if (p == nullptr) {
            throw std::runtime_error(std::string("database.so lacks symbol ") + name);
         }
         return p;
      };
      auto get_spec = reinterpret_cast<void* (*)(void*)>(
         sym("_ZN5rhydb6config16InitializeConfig22getConfigSpecificationEv")
      );
      auto read_yaml = reinterpret_cast<void* (*)(void*, const std::filesystem::path&)>(
         sym("_ZN5rhydb6config8YamlFile8readFileERKNSt10filesystem7__cxx114pathE")
      );
      auto verify = reinterpret_cast<void* (*)(void*, const void*, const void*)>(
         sym("_ZNK5rhydb6config8YamlFile6verifyERKNS0_19ConfigSpecificationE")
      );
      auto with_defaults =
         reinterpret_cast<void* (*)(void*)>(sym("_ZN5rhydb6config16InitializeConfig12withDefaultsEv"));
      auto overwrite_from = reinterpret_cast<void (*)(void*, const void*)>(
         sym("_ZN5rhydb6config16InitializeConfig13overwriteFromERKNS0_24VerifiedConfigAttributesE")
      );
      auto database_config_path = reinterpret_cast<void* (*)(void*, const void*)>(
         sym("_ZNK5rhydb6config19InitializationFiles25getDatabaseConfigFilepathB5cxx11Ev")
      );
      auto table_name_ctor = reinterpret_cast<void (*)(void*, std::string*)>(
         sym("_ZN5rhydb6schema9TableNameC1ENSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE")
      );
      auto create_table = reinterpret_cast<void (*)(void*, const void*, void*)>(
         sym("_ZN5rhydb10initialize11Initializer21createTableInDatabaseENS_6schema9TableNameERKNS_"
             "6config19InitializationFilesERNS_8DatabaseE")
      );

      void* spec = opaque();
      get_spec(spec);
      void* yaml = opaque();
      read_yaml(yaml, std::filesystem::path(initialize_yaml));
      void* attributes = opaque();
      verify(attributes, yaml, spec);
      void* config = opaque();
      with_defaults(config);
      overwrite_from(config, attributes);

      auto* path = static_cast<std::filesystem::path*>(opaque());
      database_config_path(path, config);
      const std::string path_text = path->string();
      if (path_text.size() < 5 || path_text.compare(path_text.size() - 5, 5, ".yaml") != 0) {
         std::snprintf(
            message,
            message_len,
            "unexpected InitializeConfig layout: database config path reads '%s'",
            path_text.c_str()
         );
         return 4;
      }
      void* name = opaque();
      std::string name_text(table_name);
      table_name_ctor(name, &name_text);
      create_table(name, config, database);
      std::snprintf(message, message_len, "created table %s from %s", table_name, path_text.c_str());
      return 0;
   } catch (const std::exception& e) {
      std::snprintf(message, message_len, "%s", e.what());
      return 3;
   } catch (...) {
      std::snprintf(message, message_len, "unknown C++ exception");
      return 5;
   }
}
