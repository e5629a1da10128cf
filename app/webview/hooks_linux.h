// The GTK side of package webview on Linux. Every function here runs on the
// GTK main thread; Go schedules them with nd_run_on_main.
#ifndef ND_HOOKS_LINUX_H
#define ND_HOOKS_LINUX_H

#include <stdint.h>
#include <stdlib.h>
#include <gtk/gtk.h>
#include <webkit2/webkit2.h>

void nd_run_on_main(uintptr_t task);
void nd_eval_then(WebKitWebView *view, const char *script, uintptr_t task);
WebKitWebView *nd_find_main_view(GtkWindow **window);
int nd_connect_view(WebKitWebView *view, uintptr_t h, int is_main);
int nd_connect_downloads(uintptr_t h);
WebKitWebView *nd_open_window(WebKitWebView *main, GtkWindow *main_window, const char *uri, uintptr_t h);
int nd_ask(GtkWindow *parent, const char *title, const char *message, const char *detail,
           const char **buttons, int n, int def, int cancel, const char *remember, int *remembered);
void nd_snapshot(WebKitWebView *view, const char *path, uintptr_t task);
void nd_notice(WebKitWebView *main, const char *key, const char *text, const char *folder, int stays, uintptr_t h);
void nd_keep_cookies(WebKitWebView *view, const char *file);
void nd_forget(WebKitWebView *view, const char *host, uintptr_t task);

#endif
