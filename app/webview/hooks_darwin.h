// The AppKit side of package webview on macOS. Every function here runs on
// the main thread; Go schedules them with nd_run_on_main.
#ifndef ND_HOOKS_DARWIN_H
#define ND_HOOKS_DARWIN_H

#include <stdint.h>
#include <stdlib.h>

void nd_run_on_main(uintptr_t task);
void *nd_mac_attach(uintptr_t h);
void nd_mac_load(void *view, const char *uri);
void nd_mac_zoom(void *view, double level);
void nd_mac_open_window(void *main_view, const char *uri, uintptr_t h);
void nd_mac_eval(void *view, const char *script, uintptr_t task);
void nd_mac_snapshot(void *view, const char *path, uintptr_t task);
void nd_mac_forget(void *view, const char *host, uintptr_t task);

#endif
