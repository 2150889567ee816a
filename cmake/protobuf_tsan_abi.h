// Force-included into every C++ file of the ThreadSanitizer build (cmake/Warnings.cmake).
//
// Debian's libprotobuf.so is built without TSan. protobuf's map_field.h gives MapFieldBase two
// extra members when __SANITIZE_THREAD__ is defined, so a TSan-built file and the library
// disagree on the layout of every map field: google.protobuf.Struct parsed by the library read
// back as garbage (8 fields for 3, then a SEGV) in the TSan unit tests. Reading map_field.h once
// with the macro hidden makes our code use the library's layout; the include guard keeps it so.
#pragma once
#pragma push_macro("__SANITIZE_THREAD__")
#undef __SANITIZE_THREAD__
#include <google/protobuf/map_field.h>
#pragma pop_macro("__SANITIZE_THREAD__")
