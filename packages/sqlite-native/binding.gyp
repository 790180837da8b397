# The native engine: a C++ N-API addon that owns a SQLite connection. It compiles the very
# SQLite amalgamation better-sqlite3 ships, with better-sqlite3's compile-time options, so
# both engines run the same SQLite.
{
  'variables': {
    # scripts/build-native.mjs links better-sqlite3's deps/ here (gyp includes take no variables).
    'bs3_dir': 'native/better-sqlite3',
    'napi_include': '<!(node -p "require(\'node-addon-api\').include_dir")',
  },
  'targets': [
    {
      'target_name': 'sqlite3_amalgamation',
      'type': 'static_library',
      'includes': ['native/better-sqlite3/deps/defines.gypi'],
      'sources': ['<(bs3_dir)/deps/sqlite3/sqlite3.c'],
      'cflags': ['-O2', '-w'],
      'cflags!': ['-O3'],
      'direct_dependent_settings': {
        'include_dirs': ['<(bs3_dir)/deps/sqlite3'],
        'includes': ['native/better-sqlite3/deps/defines.gypi'],
      },
    },
    {
      'target_name': 'ferro_native',
      'dependencies': ['sqlite3_amalgamation'],
      'sources': ['native/ferro_native.cc'],
      'include_dirs': ['<(napi_include)'],
      'defines': ['NAPI_VERSION=8', 'NAPI_DISABLE_CPP_EXCEPTIONS'],
      'cflags_cc': ['-std=c++17', '-O3'],
      'cflags_cc!': ['-fno-exceptions'],
    },
  ],
}
