//go:build darwin && (dev || production)

// The AppKit side of package webview on macOS (manual reference counting,
// as cgo compiles it). Every function runs on the main thread.

#import <Cocoa/Cocoa.h>
#import <WebKit/WebKit.h>
#import <objc/runtime.h>
#include "hooks_darwin.h"

// Go's side, in hooks_cgo.go.
extern void ndRunTask(uintptr_t task);
extern void ndNewWindow(uintptr_t h, char *uri, int gesture, int from_main);
extern void ndCommitted(uintptr_t h, char *uri);
extern void ndTitle(uintptr_t h, int is_main, char *title);
extern char *ndDownloadTo(uintptr_t h, char *suggested);
extern void ndDownloadEnd(uintptr_t h, char *uri, char *file, char *err);
extern void ndEvaluated(uintptr_t task, int is_true);
extern void ndForgotten(uintptr_t task, char *domains, char *err);

static void run_task(void *task) { ndRunTask((uintptr_t)task); }

void nd_run_on_main(uintptr_t task) { dispatch_async_f(dispatch_get_main_queue(), (void *)task, run_task); }

static char kDownloadPath;  // a WKDownload's file, as an associated object
static char kWindowHooks;   // a plain window's NDHooks, kept by the window

static char *nd_str(NSString *s) { return (char *)(s ?: @"").UTF8String; }

// NDHooks stands between a web view and Wails' delegate (inner, Wails'
// WailsContext, for the main view; nil for plain windows). It answers what
// Wails leaves unanswered: new windows, downloads, the address and the
// title. Every other delegate message goes to Wails unchanged.
// Not declared a WKDownloadDelegate: Wails builds for macOS 10.13, and the
// download methods below say themselves that they need 11.3.
@interface NDHooks : NSObject <WKNavigationDelegate, WKUIDelegate, NSWindowDelegate>
@property (assign) id inner;
@property (assign) NDHooks *mainHooks; // owns downloads: it lives as long as the app
@property (assign) uintptr_t handle;
@property (assign) BOOL isMain;
@end

@implementation NDHooks

- (BOOL)respondsToSelector:(SEL)sel {
    return [super respondsToSelector:sel] || [self.inner respondsToSelector:sel];
}

- (id)forwardingTargetForSelector:(SEL)sel {
    if ([self.inner respondsToSelector:sel]) return self.inner;
    return [super forwardingTargetForSelector:sel];
}

// window.open, target=_blank, "Open Link in New Window": no view is made;
// the app decides where the page goes.
- (WKWebView *)webView:(WKWebView *)webView
    createWebViewWithConfiguration:(WKWebViewConfiguration *)configuration
               forNavigationAction:(WKNavigationAction *)action
                    windowFeatures:(WKWindowFeatures *)features {
    ndNewWindow(self.handle, nd_str(action.request.URL.absoluteString),
                action.navigationType == WKNavigationTypeLinkActivated, self.isMain);
    return nil;
}

// A server that asks for a user name and password (HTTP Basic or Digest
// auth): WKWebView shows nothing by itself, so the app asks, in a native
// dialog naming the server. Every other challenge is WebKit's own.
- (void)webView:(WKWebView *)webView
    didReceiveAuthenticationChallenge:(NSURLAuthenticationChallenge *)challenge
                    completionHandler:(void (^)(NSURLSessionAuthChallengeDisposition, NSURLCredential *))completionHandler {
    NSString *method = challenge.protectionSpace.authenticationMethod;
    if (![method isEqualToString:NSURLAuthenticationMethodHTTPBasic] && ![method isEqualToString:NSURLAuthenticationMethodHTTPDigest]) {
        if ([self.inner respondsToSelector:_cmd]) {
            [self.inner webView:webView didReceiveAuthenticationChallenge:challenge completionHandler:completionHandler];
        } else {
            completionHandler(NSURLSessionAuthChallengePerformDefaultHandling, nil);
        }
        return;
    }
    if (challenge.previousFailureCount > 2) { // three wrong tries: the page says so
        completionHandler(NSURLSessionAuthChallengeCancelAuthenticationChallenge, nil);
        return;
    }
    NSAlert *alert = [[[NSAlert alloc] init] autorelease];
    alert.messageText = [NSString stringWithFormat:@"Sign in to %@", challenge.protectionSpace.host];
    NSString *realm = challenge.protectionSpace.realm;
    alert.informativeText = realm.length ? [NSString stringWithFormat:@"The server says: \u201c%@\u201d", realm] : @"The server asks for a user name and password.";
    [alert addButtonWithTitle:@"Sign In"];
    [alert addButtonWithTitle:@"Cancel"];
    NSTextField *user = [[[NSTextField alloc] initWithFrame:NSMakeRect(0, 30, 260, 24)] autorelease];
    user.placeholderString = @"User name";
    user.stringValue = challenge.proposedCredential.user ?: @"";
    NSSecureTextField *password = [[[NSSecureTextField alloc] initWithFrame:NSMakeRect(0, 0, 260, 24)] autorelease];
    password.placeholderString = @"Password";
    NSView *fields = [[[NSView alloc] initWithFrame:NSMakeRect(0, 0, 260, 54)] autorelease];
    [fields addSubview:user];
    [fields addSubview:password];
    alert.accessoryView = fields;
    alert.window.initialFirstResponder = user;
    NSModalResponse r = [alert runModal];
    if (r != NSAlertFirstButtonReturn) {
        completionHandler(NSURLSessionAuthChallengeCancelAuthenticationChallenge, nil);
        return;
    }
    completionHandler(NSURLSessionAuthChallengeUseCredential,
                      [NSURLCredential credentialWithUser:user.stringValue password:password.stringValue persistence:NSURLCredentialPersistenceForSession]);
}

- (void)webView:(WKWebView *)webView didCommitNavigation:(WKNavigation *)navigation {
    if ([self.inner respondsToSelector:_cmd]) [self.inner webView:webView didCommitNavigation:navigation];
    if (self.isMain) ndCommitted(self.handle, nd_str(webView.URL.absoluteString));
}

- (void)observeValueForKeyPath:(NSString *)keyPath ofObject:(id)object change:(NSDictionary *)change context:(void *)context {
    WKWebView *view = (WKWebView *)object;
    NSString *title = view.title ?: @"";
    if (self.isMain) {
        ndTitle(self.handle, 1, nd_str(title));
    } else {
        view.window.title = title.length ? [NSString stringWithFormat:@"%@ — Neurodesk", title] : @"Neurodesk";
    }
}

// <a download> becomes a download.
- (void)webView:(WKWebView *)webView
    decidePolicyForNavigationAction:(WKNavigationAction *)action
                        preferences:(WKWebpagePreferences *)preferences
                    decisionHandler:(void (^)(WKNavigationActionPolicy, WKWebpagePreferences *))decisionHandler API_AVAILABLE(macos(10.15)) {
    if ([self.inner respondsToSelector:_cmd]) {
        [self.inner webView:webView decidePolicyForNavigationAction:action preferences:preferences decisionHandler:decisionHandler];
        return;
    }
    if (@available(macOS 11.3, *)) {
        if (action.shouldPerformDownload) {
            decisionHandler(WKNavigationActionPolicyDownload, preferences);
            return;
        }
    }
    decisionHandler(WKNavigationActionPolicyAllow, preferences);
}

// So does a response sent as an attachment or one the view cannot show.
- (void)webView:(WKWebView *)webView
    decidePolicyForNavigationResponse:(WKNavigationResponse *)response
                      decisionHandler:(void (^)(WKNavigationResponsePolicy))decisionHandler {
    if ([self.inner respondsToSelector:_cmd]) {
        [self.inner webView:webView decidePolicyForNavigationResponse:response decisionHandler:decisionHandler];
        return;
    }
    BOOL attachment = NO;
    if ([response.response isKindOfClass:[NSHTTPURLResponse class]]) {
        NSHTTPURLResponse *http = (NSHTTPURLResponse *)response.response;
        NSString *cd = nil;
        if (@available(macOS 10.15, *)) {
            cd = [http valueForHTTPHeaderField:@"Content-Disposition"];
        } else {
            cd = http.allHeaderFields[@"Content-Disposition"];
        }
        attachment = cd != nil && [[cd lowercaseString] hasPrefix:@"attachment"];
    }
    if (@available(macOS 11.3, *)) {
        if (attachment || !response.canShowMIMEType) {
            decisionHandler(WKNavigationResponsePolicyDownload);
            return;
        }
    }
    decisionHandler(WKNavigationResponsePolicyAllow);
}

- (void)webView:(WKWebView *)webView navigationAction:(WKNavigationAction *)action didBecomeDownload:(WKDownload *)download API_AVAILABLE(macos(11.3)) {
    download.delegate = (id<WKDownloadDelegate>)self.mainHooks;
}

- (void)webView:(WKWebView *)webView navigationResponse:(WKNavigationResponse *)response didBecomeDownload:(WKDownload *)download API_AVAILABLE(macos(11.3)) {
    download.delegate = (id<WKDownloadDelegate>)self.mainHooks;
}

// The app names the file (in Downloads, never over another file). It
// claims the name with an empty file; WKDownload writes over nothing, so
// that claim makes way for it.
- (void)download:(WKDownload *)download
    decideDestinationUsingResponse:(NSURLResponse *)response
                 suggestedFilename:(NSString *)suggestedFilename
                 completionHandler:(void (^)(NSURL *))completionHandler API_AVAILABLE(macos(11.3)) {
    char *p = ndDownloadTo(self.handle, nd_str(suggestedFilename.length ? suggestedFilename : @"download"));
    if (p == NULL) {
        completionHandler(nil); // refused: the download is cancelled
        return;
    }
    NSString *path = [NSString stringWithUTF8String:p];
    free(p);
    NSFileManager *fm = [NSFileManager defaultManager];
    NSDictionary *attrs = [fm attributesOfItemAtPath:path error:NULL];
    if (attrs != nil && [attrs fileSize] == 0) [fm removeItemAtPath:path error:NULL];
    objc_setAssociatedObject(download, &kDownloadPath, path, OBJC_ASSOCIATION_RETAIN);
    completionHandler([NSURL fileURLWithPath:path]);
}

- (void)ended:(WKDownload *)download error:(NSError *)error API_AVAILABLE(macos(11.3)) {
    NSString *path = objc_getAssociatedObject(download, &kDownloadPath);
    ndDownloadEnd(self.handle, nd_str(download.originalRequest.URL.absoluteString), nd_str(path),
                  error ? nd_str(error.localizedDescription) : NULL);
}

- (void)downloadDidFinish:(WKDownload *)download API_AVAILABLE(macos(11.3)) {
    [self ended:download error:nil];
}

- (void)download:(WKDownload *)download didFailWithError:(NSError *)error resumeData:(NSData *)resumeData API_AVAILABLE(macos(11.3)) {
    [self ended:download error:error];
}

// A plain window closes: its view stops reporting to us.
- (void)windowWillClose:(NSNotification *)notification {
    NSWindow *window = notification.object;
    WKWebView *view = (WKWebView *)window.contentView;
    [view removeObserver:self forKeyPath:@"title"];
    view.navigationDelegate = nil;
    view.UIDelegate = nil;
    window.delegate = nil;
}

@end

static WKWebView *find_view(NSView *v) {
    if ([v isKindOfClass:[WKWebView class]]) return (WKWebView *)v;
    for (NSView *sub in v.subviews) {
        WKWebView *found = find_view(sub);
        if (found != nil) return found;
    }
    return nil;
}

void *nd_mac_attach(uintptr_t h) {
    for (NSWindow *window in [NSApp windows]) {
        WKWebView *view = find_view(window.contentView);
        if (view == nil) continue;
        // Wails' WailsContext is both delegates; anything else is not the
        // web view we know how to stand in front of.
        id inner = view.navigationDelegate;
        if (inner == nil || (id)view.UIDelegate != inner) return NULL;
        NDHooks *hooks = [[NDHooks alloc] init]; // kept for the app's life
        hooks.inner = inner;
        hooks.mainHooks = hooks;
        hooks.handle = h;
        hooks.isMain = YES;
        // WebKit reads which messages a delegate answers when it is set.
        view.navigationDelegate = hooks;
        view.UIDelegate = hooks;
        [view addObserver:hooks forKeyPath:@"title" options:NSKeyValueObservingOptionNew context:NULL];
        NSString *now = view.URL.absoluteString; // the launcher may be committed already
        if (now.length && ![now isEqualToString:@"about:blank"]) ndCommitted(h, nd_str(now));
        return view;
    }
    return NULL;
}

void nd_mac_load(void *view, const char *uri) {
    NSURL *url = [NSURL URLWithString:[NSString stringWithUTF8String:uri]];
    if (url != nil) [(WKWebView *)view loadRequest:[NSURLRequest requestWithURL:url]];
}

void nd_mac_zoom(void *view, double level) {
    if (@available(macOS 11.0, *)) ((WKWebView *)view).pageZoom = level;
}

// A page of the session in a plain window of its own: the same website
// data (so the session's cookie), no script message handler, so nothing in
// it reaches the app.
void nd_mac_open_window(void *main_view, const char *uri, uintptr_t h) {
    @autoreleasepool {
        WKWebView *main = (WKWebView *)main_view;
        NSURL *url = [NSURL URLWithString:[NSString stringWithUTF8String:uri]];
        if (url == nil) return;
        WKWebViewConfiguration *config = [[[WKWebViewConfiguration alloc] init] autorelease];
        config.websiteDataStore = main.configuration.websiteDataStore;
        NSRect frame = NSMakeRect(0, 0, 1200, 800);
        NSWindow *window = [[NSWindow alloc] initWithContentRect:frame
                                                       styleMask:NSWindowStyleMaskTitled | NSWindowStyleMaskClosable |
                                                                 NSWindowStyleMaskMiniaturizable | NSWindowStyleMaskResizable
                                                         backing:NSBackingStoreBuffered
                                                           defer:NO];
        window.releasedWhenClosed = YES; // balances alloc
        WKWebView *view = [[[WKWebView alloc] initWithFrame:frame configuration:config] autorelease];
        view.autoresizingMask = NSViewWidthSizable | NSViewHeightSizable;
        window.contentView = view;
        NDHooks *hooks = [[[NDHooks alloc] init] autorelease];
        hooks.mainHooks = (NDHooks *)main.navigationDelegate;
        hooks.handle = h;
        hooks.isMain = NO;
        objc_setAssociatedObject(window, &kWindowHooks, hooks, OBJC_ASSOCIATION_RETAIN);
        view.navigationDelegate = hooks;
        view.UIDelegate = hooks;
        window.delegate = hooks;
        [view addObserver:hooks forKeyPath:@"title" options:NSKeyValueObservingOptionNew context:NULL];
        window.title = @"Neurodesk";
        [view loadRequest:[NSURLRequest requestWithURL:url]];
        [window center];
        [window makeKeyAndOrderFront:nil];
    }
}

// nd_mac_eval runs script in the main view's page; with a task, Go hears
// whether it evaluated to true.
void nd_mac_eval(void *view, const char *script, uintptr_t task) {
    NSString *js = [NSString stringWithUTF8String:script];
    if (task == 0) {
        [(WKWebView *)view evaluateJavaScript:js completionHandler:nil];
        return;
    }
    [(WKWebView *)view evaluateJavaScript:js completionHandler:^(id result, NSError *error) {
        ndEvaluated(task, error == nil && [result isKindOfClass:[NSNumber class]] && [result boolValue]);
    }];
}

// nd_mac_snapshot writes what the view shows to path as a PNG; Go hears
// whether it worked.
void nd_mac_snapshot(void *view, const char *path, uintptr_t task) {
    NSString *file = [NSString stringWithUTF8String:path];
    [(WKWebView *)view takeSnapshotWithConfiguration:nil completionHandler:^(NSImage *image, NSError *error) {
        BOOL ok = NO;
        if (image != nil && error == nil) {
            NSBitmapImageRep *rep = [NSBitmapImageRep imageRepWithData:[image TIFFRepresentation]];
            NSData *png = [rep representationUsingType:NSBitmapImageFileTypePNG properties:@{}];
            ok = png != nil && [png writeToFile:file atomically:YES];
        }
        ndEvaluated(task, ok);
    }];
}

// nd_mac_forget removes what the views keep of host's site (cookies: its
// sign-in; storage; caches). WebKit names records by site: neurodesk.org
// for play-europe.neurodesk.org. Go hears which went.
void nd_mac_forget(void *view, const char *host, uintptr_t task) {
    NSString *h = [[NSString stringWithUTF8String:host] lowercaseString];
    WKWebsiteDataStore *store = ((WKWebView *)view).configuration.websiteDataStore;
    NSSet *types = [WKWebsiteDataStore allWebsiteDataTypes];
    [store fetchDataRecordsOfTypes:types completionHandler:^(NSArray<WKWebsiteDataRecord *> *records) {
        NSMutableArray *mine = [NSMutableArray array];
        NSMutableArray *names = [NSMutableArray array];
        for (WKWebsiteDataRecord *rec in records) {
            NSString *name = rec.displayName.lowercaseString;
            if ([h isEqualToString:name] || [h hasSuffix:[@"." stringByAppendingString:name]]) {
                [mine addObject:rec];
                [names addObject:rec.displayName];
            }
        }
        NSString *list = [names componentsJoinedByString:@"\n"];
        if (mine.count == 0) {
            ndForgotten(task, nd_str(list), NULL);
            return;
        }
        [store removeDataOfTypes:types forDataRecords:mine completionHandler:^{
            ndForgotten(task, nd_str(list), NULL);
        }];
    }];
}
