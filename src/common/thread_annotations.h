// Clang thread-safety annotations (no-ops on other compilers): GUARDED_BY(mu) marks state that may be
// touched only with mu held. Header-only; thread-safe by definition.
#pragma once

#if defined(__clang__)
#define MMS_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define MMS_THREAD_ANNOTATION(x)
#endif

#ifndef GUARDED_BY
#define GUARDED_BY(x) MMS_THREAD_ANNOTATION(guarded_by(x))
#endif
#ifndef PT_GUARDED_BY
#define PT_GUARDED_BY(x) MMS_THREAD_ANNOTATION(pt_guarded_by(x))
#endif
