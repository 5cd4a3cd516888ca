using System.Text.Encodings.Web;
using Q4.DevIdentity.Realm;

namespace Q4.DevIdentity.Login;

/// <summary>The provider's few pages: plain HTML, no scripts, nothing to build.</summary>
public static class LoginPage
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    public static string Form(RealmModel realm, string action, string? returnUrl, string? username, string? error,
        string antiforgeryField, string antiforgeryToken) => Layout(
        $"Sign in to {realm.Name}",
        $"""
        <h1>Sign in to {Html.Encode(realm.Name)}</h1>
        {(error is null ? "" : $"<p class=\"error\" role=\"alert\">{Html.Encode(error)}</p>")}
        <form method="post" action="{Html.Encode(action)}">
          <input type="hidden" name="{Html.Encode(antiforgeryField)}" value="{Html.Encode(antiforgeryToken)}">
          <input type="hidden" name="returnUrl" value="{Html.Encode(returnUrl ?? "")}">
          <label>Username or email <input name="username" autocomplete="username" autofocus required value="{Html.Encode(username ?? "")}"></label>
          <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
          <button type="submit">Sign in</button>
        </form>
        <p class="hint">Q4.DevIdentity, for development: users and passwords come from the realm file.</p>
        """);

    public static string SignedIn(RealmModel realm, RealmUser user) => Layout(
        "Signed in",
        $"<h1>Signed in</h1><p>You are signed in to {Html.Encode(realm.Name)} as {Html.Encode(user.Username)}.</p>");

    /// <summary>
    /// Asks before a logout that nothing proves the user wants; the form posts the logout request back, with the
    /// antiforgery token among <paramref name="fields"/>.
    /// </summary>
    public static string ConfirmLogout(RealmModel realm, string? username, string action, IEnumerable<KeyValuePair<string, string?>> fields) => Layout(
        "Sign out",
        $"""
        <h1>Sign out</h1>
        <p>Do you want to sign out of {Html.Encode(realm.Name)}{(username is null ? "" : $" as {Html.Encode(username)}")}?</p>
        <form method="post" action="{Html.Encode(action)}">
        {string.Join("\n", fields.Select(field => $"  <input type=\"hidden\" name=\"{Html.Encode(field.Key)}\" value=\"{Html.Encode(field.Value ?? "")}\">"))}
          <button type="submit">Sign out</button>
        </form>
        """);

    public static string SignedOut() => Layout("Signed out", "<h1>Signed out</h1><p>You are signed out.</p>");

    private static string Layout(string title, string body) =>
        $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>{{Html.Encode(title)}}</title>
          <style>
            body { font-family: system-ui, sans-serif; max-width: 22rem; margin: 4rem auto; padding: 0 1rem; }
            label { display: block; margin: 0.75rem 0; }
            input { display: block; width: 100%; padding: 0.4rem; box-sizing: border-box; }
            button { padding: 0.5rem 1.5rem; }
            .error { color: #b00020; font-weight: bold; }
            .hint { color: #666; font-size: 0.85rem; margin-top: 2rem; }
          </style>
        </head>
        <body>
        {{body}}
        </body>
        </html>
        """;
}
