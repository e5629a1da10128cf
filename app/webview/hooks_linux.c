//go:build linux && (dev || production)

#include "hooks_linux.h"

// Go's side, in hooks_linux.go.
extern void ndRunTask(uintptr_t task);
extern void ndNewWindow(uintptr_t h, char *uri, int gesture, int from_main);
extern void ndCommitted(uintptr_t h, char *uri);
extern void ndTitle(uintptr_t h, int is_main, char *title);
extern void ndClose(uintptr_t h);
extern int ndContextMenu(uintptr_t h, char *uri);
extern char *ndDownloadTo(uintptr_t h, char *suggested);
extern void ndDownloadEnd(uintptr_t h, char *uri, char *file, char *err);
extern void ndOpenFolder(uintptr_t h, char *folder);
extern int ndMayNavigate(uintptr_t h, char *to, char *from);
extern int ndDownloadRoom(uintptr_t h, char *file, uint64_t received, uint64_t expected);
extern void ndEvaluated(uintptr_t task, int is_true);

static gboolean run_task(gpointer data) {
    ndRunTask((uintptr_t)data);
    return G_SOURCE_REMOVE;
}

void nd_run_on_main(uintptr_t task) { g_idle_add(run_task, (gpointer)task); }

static void on_script_done(GObject *view, GAsyncResult *res, gpointer task) {
    GError *err = NULL;
    JSCValue *v = webkit_web_view_evaluate_javascript_finish(WEBKIT_WEB_VIEW(view), res, &err);
    if (v) g_object_unref(v);
    if (err) g_error_free(err);
    ndRunTask((uintptr_t)task);
}

// Runs script in the main view's page, then task (whether it worked or not).
void nd_eval_then(WebKitWebView *view, const char *script, uintptr_t task) {
    webkit_web_view_evaluate_javascript(view, script, -1, NULL, NULL, NULL, on_script_done, (gpointer)task);
}

static WebKitWebView *find_view(GtkWidget *w) {
    if (WEBKIT_IS_WEB_VIEW(w)) return WEBKIT_WEB_VIEW(w);
    if (!GTK_IS_CONTAINER(w)) return NULL;
    WebKitWebView *found = NULL;
    GList *children = gtk_container_get_children(GTK_CONTAINER(w));
    for (GList *l = children; l && !found; l = l->next) found = find_view(GTK_WIDGET(l->data));
    g_list_free(children);
    return found;
}

// The app has one window when this is called: Wails' own.
WebKitWebView *nd_find_main_view(GtkWindow **window) {
    WebKitWebView *found = NULL;
    GList *tops = gtk_window_list_toplevels();
    for (GList *l = tops; l && !found; l = l->next) {
        if (!GTK_IS_WINDOW(l->data)) continue;
        found = find_view(GTK_WIDGET(l->data));
        if (found) *window = GTK_WINDOW(l->data);
    }
    g_list_free(tops);
    return found;
}

// A view's handle: main views report to the app; plain windows also know
// their GtkWindow so that window.close() closes it.
static uintptr_t handle_of(gpointer data) { return (uintptr_t)data; }

static GtkWidget *on_create(WebKitWebView *view, WebKitNavigationAction *action, gpointer data) {
    WebKitURIRequest *req = webkit_navigation_action_get_request(action);
    const gchar *uri = req ? webkit_uri_request_get_uri(req) : NULL;
    int is_main = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(view), "nd-main"));
    ndNewWindow(handle_of(data), (char *)(uri ? uri : ""), webkit_navigation_action_is_user_gesture(action), is_main);
    return NULL; // no window: the app decides where the page goes
}

// The main view's navigations (its frames' too) are the app's to allow;
// attachments, and what the view cannot show, are downloads.
static gboolean on_decide_policy(WebKitWebView *view, WebKitPolicyDecision *d, WebKitPolicyDecisionType type, gpointer data) {
    if (type == WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION && GPOINTER_TO_INT(g_object_get_data(G_OBJECT(view), "nd-main"))) {
        WebKitNavigationAction *a = webkit_navigation_policy_decision_get_navigation_action(WEBKIT_NAVIGATION_POLICY_DECISION(d));
        WebKitURIRequest *req = a ? webkit_navigation_action_get_request(a) : NULL;
        const gchar *to = req ? webkit_uri_request_get_uri(req) : NULL;
        const gchar *from = webkit_web_view_get_uri(view); // still the page that asks
        if (to && !ndMayNavigate(handle_of(data), (char *)to, (char *)(from ? from : ""))) {
            webkit_policy_decision_ignore(d);
            return TRUE;
        }
        return FALSE;
    }
    if (type != WEBKIT_POLICY_DECISION_TYPE_RESPONSE) return FALSE;
    WebKitResponsePolicyDecision *rd = WEBKIT_RESPONSE_POLICY_DECISION(d);
    WebKitURIResponse *resp = webkit_response_policy_decision_get_response(rd);
    SoupMessageHeaders *headers = resp ? webkit_uri_response_get_http_headers(resp) : NULL;
    const char *cd = headers ? soup_message_headers_get_one(headers, "Content-Disposition") : NULL;
    gboolean attachment = cd && g_ascii_strncasecmp(cd, "attachment", 10) == 0;
    if (attachment || !webkit_response_policy_decision_is_mime_type_supported(rd)) {
        webkit_policy_decision_download(d);
        return TRUE;
    }
    return FALSE;
}

static void on_load_changed(WebKitWebView *view, WebKitLoadEvent ev, gpointer data) {
    if (ev != WEBKIT_LOAD_COMMITTED) return;
    const gchar *uri = webkit_web_view_get_uri(view);
    ndCommitted(handle_of(data), (char *)(uri ? uri : ""));
}

static void on_title(WebKitWebView *view, GParamSpec *spec, gpointer data) {
    const gchar *title = webkit_web_view_get_title(view);
    int is_main = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(view), "nd-main"));
    if (is_main) {
        ndTitle(handle_of(data), 1, (char *)(title ? title : ""));
        return;
    }
    GtkWidget *top = gtk_widget_get_toplevel(GTK_WIDGET(view));
    if (GTK_IS_WINDOW(top)) {
        gchar *t = title && *title ? g_strdup_printf("%s \xe2\x80\x94 Neurodesk", title) : g_strdup("Neurodesk");
        gtk_window_set_title(GTK_WINDOW(top), t);
        g_free(t);
    }
    ndTitle(handle_of(data), 0, (char *)(title ? title : ""));
}

// The main view never closes on a page's say-so; its "close" is the answer
// to Leave. A plain window closes.
static void on_close(WebKitWebView *view, gpointer data) {
    if (GPOINTER_TO_INT(g_object_get_data(G_OBJECT(view), "nd-main"))) {
        ndClose(handle_of(data));
        return;
    }
    GtkWidget *top = gtk_widget_get_toplevel(GTK_WIDGET(view));
    if (GTK_IS_WINDOW(top)) gtk_widget_destroy(top);
}

static gboolean on_context_menu(WebKitWebView *view, WebKitContextMenu *menu, GdkEvent *ev, WebKitHitTestResult *hit, gpointer data) {
    const gchar *uri = webkit_web_view_get_uri(view);
    return !ndContextMenu(handle_of(data), (char *)(uri ? uri : ""));
}

// Returns which signals were connected, one bit each in the order of
// ndSignals (hooks_linux.go).
int nd_connect_view(WebKitWebView *view, uintptr_t h, int is_main) {
    gpointer data = (gpointer)h;
    g_object_set_data(G_OBJECT(view), "nd-main", GINT_TO_POINTER(is_main));
    int got = 0;
    got |= (g_signal_connect(view, "create", G_CALLBACK(on_create), data) > 0) << 0;
    got |= (g_signal_connect(view, "decide-policy", G_CALLBACK(on_decide_policy), data) > 0) << 1;
    got |= (g_signal_connect(view, "notify::title", G_CALLBACK(on_title), data) > 0) << 2;
    got |= (g_signal_connect(view, "close", G_CALLBACK(on_close), data) > 0) << 3;
    got |= (g_signal_connect(view, "context-menu", G_CALLBACK(on_context_menu), data) > 0) << 4;
    if (is_main) got |= (g_signal_connect(view, "load-changed", G_CALLBACK(on_load_changed), data) > 0) << 5;
    return got;
}

// --- downloads ---------------------------------------------------------------

static gboolean on_decide_destination(WebKitDownload *dl, gchar *suggested, gpointer data) {
    char *path = ndDownloadTo(handle_of(data), suggested ? suggested : "download");
    if (!path || !*path) {
        free(path);
        webkit_download_cancel(dl);
        return TRUE;
    }
    gchar *dest = g_filename_to_uri(path, NULL, NULL);
    free(path);
    if (!dest) {
        webkit_download_cancel(dl);
        return TRUE;
    }
    // The app claimed the file (an empty one) so no two downloads share it.
    webkit_download_set_allow_overwrite(dl, TRUE);
    webkit_download_set_destination(dl, dest);
    g_free(dest);
    return TRUE;
}

static const char *download_uri(WebKitDownload *dl) {
    WebKitURIRequest *req = webkit_download_get_request(dl);
    const gchar *uri = req ? webkit_uri_request_get_uri(req) : NULL;
    return uri ? uri : "";
}

// The file a download writes, as a path (g_free it).
static gchar *download_file(WebKitDownload *dl) {
    const gchar *dest = webkit_download_get_destination(dl);
    return dest ? g_filename_from_uri(dest, NULL, NULL) : NULL;
}

static void on_download_failed(WebKitDownload *dl, GError *err, gpointer data) {
    g_object_set_data(G_OBJECT(dl), "nd-failed", GINT_TO_POINTER(1));
    gchar *file = download_file(dl);
    ndDownloadEnd(handle_of(data), (char *)download_uri(dl), file ? file : "", err && err->message ? err->message : "failed");
    g_free(file);
}

// Every ND_ROOM_STEP bytes (and at the first), the app says whether the
// disk has room for the rest; if not, the download stops.
#define ND_ROOM_STEP (16u << 20)
static void on_received_data(WebKitDownload *dl, guint64 len, gpointer data) {
    guint64 got = webkit_download_get_received_data_length(dl);
    guint64 *next = g_object_get_data(G_OBJECT(dl), "nd-next-room");
    if (!next) {
        next = g_new0(guint64, 1);
        g_object_set_data_full(G_OBJECT(dl), "nd-next-room", next, g_free);
    } else if (got < *next) {
        return;
    }
    *next = got + ND_ROOM_STEP;
    WebKitURIResponse *resp = webkit_download_get_response(dl);
    guint64 expected = resp ? webkit_uri_response_get_content_length(resp) : 0;
    gchar *file = download_file(dl);
    int room = file ? ndDownloadRoom(handle_of(data), file, got, expected) : 1;
    g_free(file);
    if (!room) webkit_download_cancel(dl);
}

static void on_download_finished(WebKitDownload *dl, gpointer data) {
    if (g_object_get_data(G_OBJECT(dl), "nd-failed")) return; // "failed" said it
    const gchar *dest = webkit_download_get_destination(dl);
    gchar *file = dest ? g_filename_from_uri(dest, NULL, NULL) : NULL;
    ndDownloadEnd(handle_of(data), (char *)download_uri(dl), file ? file : (char *)(dest ? dest : ""), NULL);
    g_free(file);
}

static void on_download_started(WebKitWebContext *ctx, WebKitDownload *dl, gpointer data) {
    g_signal_connect(dl, "decide-destination", G_CALLBACK(on_decide_destination), data);
    g_signal_connect(dl, "failed", G_CALLBACK(on_download_failed), data);
    g_signal_connect(dl, "received-data", G_CALLBACK(on_received_data), data);
    g_signal_connect(dl, "finished", G_CALLBACK(on_download_finished), data);
}

int nd_connect_downloads(uintptr_t h) {
    return g_signal_connect(webkit_web_context_get_default(), "download-started", G_CALLBACK(on_download_started), (gpointer)h) > 0;
}

// --- plain windows -----------------------------------------------------------

// session_settings copies the main view's settings (Wails' choices) and lets
// the page use the clipboard: the desktop's web client syncs it as it gets
// the focus (navigator.clipboard, which WebKitGTK otherwise refuses without a
// paste gesture), as JupyterLab's own Paste does. Only session pages get it:
// the main view keeps its own settings.
static WebKitSettings *session_settings(WebKitWebView *main) {
    WebKitSettings *from = webkit_web_view_get_settings(main);
    WebKitSettings *to = webkit_settings_new();
    guint n = 0;
    GParamSpec **props = g_object_class_list_properties(G_OBJECT_GET_CLASS(from), &n);
    for (guint i = 0; i < n; i++) {
        GParamSpec *p = props[i];
        if (!(p->flags & G_PARAM_READABLE) || !(p->flags & G_PARAM_WRITABLE) || (p->flags & (G_PARAM_CONSTRUCT_ONLY | G_PARAM_DEPRECATED))) continue;
        GValue v = G_VALUE_INIT;
        g_value_init(&v, p->value_type);
        g_object_get_property(G_OBJECT(from), p->name, &v);
        g_object_set_property(G_OBJECT(to), p->name, &v);
        g_value_unset(&v);
    }
    g_free(props);
    webkit_settings_set_javascript_can_access_clipboard(to, TRUE);
    return to;
}

// A window for a page of the session: the default web context, so the same
// cookies, but a user content manager of its own, so none of the app's
// script handlers: nothing in it can call the app.
WebKitWebView *nd_open_window(WebKitWebView *main, GtkWindow *main_window, const char *uri, uintptr_t h) {
    GtkWidget *win = gtk_window_new(GTK_WINDOW_TOPLEVEL);
    int w = 1280, hgt = 800;
    if (main_window) {
        gtk_window_get_size(main_window, &w, &hgt);
        GdkPixbuf *icon = gtk_window_get_icon(main_window);
        if (icon) gtk_window_set_icon(GTK_WINDOW(win), icon);
    }
    gtk_window_set_default_size(GTK_WINDOW(win), w, hgt);
    gtk_window_set_title(GTK_WINDOW(win), "Neurodesk");
    WebKitUserContentManager *ucm = webkit_user_content_manager_new();
    WebKitSettings *settings = session_settings(main);
    GtkWidget *view = GTK_WIDGET(g_object_new(WEBKIT_TYPE_WEB_VIEW,
        "user-content-manager", ucm,
        "settings", settings,
        NULL));
    g_object_unref(ucm);
    g_object_unref(settings);
    nd_connect_view(WEBKIT_WEB_VIEW(view), h, 0);
    gtk_container_add(GTK_CONTAINER(win), view);
    gtk_widget_show_all(win);
    webkit_web_view_load_uri(WEBKIT_WEB_VIEW(view), uri);
    return WEBKIT_WEB_VIEW(view);
}

// --- questions and notices ---------------------------------------------------

int nd_ask(GtkWindow *parent, const char *title, const char *message, const char *detail,
           const char **buttons, int n, int def, int cancel, const char *remember, int *remembered) {
    GtkWidget *d = gtk_message_dialog_new(parent, GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                          GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE, "%s", message);
    gtk_window_set_title(GTK_WINDOW(d), title);
    if (detail && *detail) gtk_message_dialog_format_secondary_text(GTK_MESSAGE_DIALOG(d), "%s", detail);
    for (int i = 0; i < n; i++) gtk_dialog_add_button(GTK_DIALOG(d), buttons[i], i);
    gtk_dialog_set_default_response(GTK_DIALOG(d), def);
    GtkWidget *check = NULL;
    if (remember && *remember) {
        check = gtk_check_button_new_with_label(remember);
        gtk_container_add(GTK_CONTAINER(gtk_message_dialog_get_message_area(GTK_MESSAGE_DIALOG(d))), check);
        gtk_widget_show(check);
    }
    int r = gtk_dialog_run(GTK_DIALOG(d));
    if (r < 0 || r >= n) r = cancel; // Esc, or the window closed
    *remembered = check ? gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(check)) : 0;
    gtk_widget_destroy(d);
    return r;
}

static void on_notice_response(GtkInfoBar *bar, gint response, gpointer data) {
    if (response == 1) {
        const char *folder = g_object_get_data(G_OBJECT(bar), "nd-folder");
        if (folder) ndOpenFolder((uintptr_t)data, (char *)folder);
    }
    gtk_widget_destroy(GTK_WIDGET(bar));
}

static gboolean notice_expired(gpointer bar) {
    if (gtk_widget_get_parent(GTK_WIDGET(bar))) gtk_widget_destroy(GTK_WIDGET(bar));
    g_object_unref(bar);
    return G_SOURCE_REMOVE;
}

// A bar below the page in the main window: one that stays until it is
// closed or withdrawn (an empty text with its key), or one gone after 15
// seconds. A bar with the same key is replaced.
void nd_notice(WebKitWebView *main, const char *key, const char *text, const char *folder, int stays, uintptr_t h) {
    GtkWidget *box = gtk_widget_get_parent(GTK_WIDGET(main));
    if (!GTK_IS_BOX(box)) return;
    if (key && *key) {
        GList *children = gtk_container_get_children(GTK_CONTAINER(box));
        for (GList *c = children; c; c = c->next) {
            const char *k = GTK_IS_INFO_BAR(c->data) ? g_object_get_data(G_OBJECT(c->data), "nd-key") : NULL;
            if (k && strcmp(k, key) == 0) gtk_widget_destroy(GTK_WIDGET(c->data));
        }
        g_list_free(children);
    }
    if (!text || !*text) return;
    GtkWidget *bar = gtk_info_bar_new();
    if (key && *key) g_object_set_data_full(G_OBJECT(bar), "nd-key", g_strdup(key), g_free);
    gtk_info_bar_set_message_type(GTK_INFO_BAR(bar), GTK_MESSAGE_INFO);
    gtk_info_bar_set_show_close_button(GTK_INFO_BAR(bar), TRUE);
    GtkWidget *label = gtk_label_new(text);
    gtk_label_set_line_wrap(GTK_LABEL(label), TRUE);
    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_container_add(GTK_CONTAINER(gtk_info_bar_get_content_area(GTK_INFO_BAR(bar))), label);
    if (folder && *folder) {
        g_object_set_data_full(G_OBJECT(bar), "nd-folder", g_strdup(folder), g_free);
        gtk_info_bar_add_button(GTK_INFO_BAR(bar), "Show in Folder", 1);
    }
    g_signal_connect(bar, "response", G_CALLBACK(on_notice_response), (gpointer)h);
    // Below the page, as a browser's download bar: the page does not move.
    gtk_box_pack_end(GTK_BOX(box), bar, FALSE, FALSE, 0);
    gtk_widget_show_all(bar);
    if (!stays) g_timeout_add_seconds(15, notice_expired, g_object_ref(bar));
}

typedef struct {
    gchar *path;
    uintptr_t task;
} nd_shot;

static void on_snapshot(GObject *view, GAsyncResult *res, gpointer data) {
    nd_shot *shot = data;
    GError *err = NULL;
    cairo_surface_t *surface = webkit_web_view_get_snapshot_finish(WEBKIT_WEB_VIEW(view), res, &err);
    int ok = surface != NULL && cairo_surface_write_to_png(surface, shot->path) == CAIRO_STATUS_SUCCESS;
    if (surface) cairo_surface_destroy(surface);
    if (err) g_error_free(err);
    uintptr_t task = shot->task;
    g_free(shot->path);
    g_free(shot);
    ndEvaluated(task, ok);
}

// Writes what the view shows to path (PNG); Go hears whether it worked.
void nd_snapshot(WebKitWebView *view, const char *path, uintptr_t task) {
    nd_shot *shot = g_new0(nd_shot, 1);
    shot->path = g_strdup(path);
    shot->task = task;
    webkit_web_view_get_snapshot(view, WEBKIT_SNAPSHOT_REGION_VISIBLE, WEBKIT_SNAPSHOT_OPTIONS_NONE, NULL, on_snapshot, shot);
}

// --- what the web views keep of servers -----------------------------------

extern void ndForgotten(uintptr_t task, char *domains, char *err);

// WebKitGTK keeps cookies in memory unless told where to keep them: kept in
// the app's own folder, a hub's sign-in survives a restart.
void nd_keep_cookies(WebKitWebView *view, const char *file) {
    WebKitCookieManager *cm = webkit_web_context_get_cookie_manager(webkit_web_view_get_context(view));
    webkit_cookie_manager_set_persistent_storage(cm, file, WEBKIT_COOKIE_PERSISTENT_STORAGE_SQLITE);
}

typedef struct {
    char *host;
    uintptr_t task;
    GString *domains; // the records removed, for the app to name
} forget_req;

static void forget_done(forget_req *r, const char *err) {
    ndForgotten(r->task, r->domains->str, (char *)err);
    g_string_free(r->domains, TRUE);
    g_free(r->host);
    g_free(r);
}

static void on_removed(GObject *m, GAsyncResult *res, gpointer data) {
    GError *err = NULL;
    webkit_website_data_manager_remove_finish(WEBKIT_WEBSITE_DATA_MANAGER(m), res, &err);
    forget_done(data, err ? err->message : NULL);
    if (err) g_error_free(err);
}

// A record is named after its site (the registrable domain: neurodesk.org
// for play-europe.neurodesk.org), or its address for an IP.
static gboolean host_in(const char *host, const char *name) {
    size_t h = strlen(host), n = strlen(name);
    return g_ascii_strcasecmp(host, name) == 0 || (h > n && host[h - n - 1] == '.' && g_ascii_strcasecmp(host + h - n, name) == 0);
}

static void on_fetched(GObject *m, GAsyncResult *res, gpointer data) {
    forget_req *r = data;
    WebKitWebsiteDataManager *mgr = WEBKIT_WEBSITE_DATA_MANAGER(m);
    GError *err = NULL;
    GList *all = webkit_website_data_manager_fetch_finish(mgr, res, &err);
    if (err) {
        forget_done(r, err->message);
        g_error_free(err);
        return;
    }
    GList *mine = NULL;
    for (GList *l = all; l; l = l->next) {
        const char *name = webkit_website_data_get_name(l->data);
        if (name && host_in(r->host, name)) {
            mine = g_list_prepend(mine, l->data);
            g_string_append_printf(r->domains, "%s%s", r->domains->len ? "\n" : "", name);
        }
    }
    if (mine) {
        webkit_website_data_manager_remove(mgr, WEBKIT_WEBSITE_DATA_ALL, mine, NULL, on_removed, r);
    } else {
        forget_done(r, NULL);
    }
    g_list_free(mine);
    g_list_free_full(all, (GDestroyNotify)webkit_website_data_unref);
}

// nd_forget removes everything the views keep of host's site: cookies (its
// sign-in), storage, caches.
void nd_forget(WebKitWebView *view, const char *host, uintptr_t task) {
    WebKitWebsiteDataManager *mgr = webkit_web_context_get_website_data_manager(webkit_web_view_get_context(view));
    forget_req *r = g_new0(forget_req, 1);
    r->host = g_strdup(host);
    r->task = task;
    r->domains = g_string_new(NULL);
    webkit_website_data_manager_fetch(mgr, WEBKIT_WEBSITE_DATA_ALL, NULL, on_fetched, r);
}
