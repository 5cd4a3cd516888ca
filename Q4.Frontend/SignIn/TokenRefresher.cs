using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace Q4.Frontend.SignIn;

/// <summary>
/// Trades the session's refresh token for fresh tokens when the access token is about to expire, before the request
/// that would need it goes on: a user is never signed out, or refused by the API, because a token ran out.
/// </summary>
internal sealed partial class TokenRefresher(
    IOptionsMonitor<OpenIdConnectOptions> oidcOptions, IOptions<SignInOptions> options, TimeProvider time,
    ILogger<TokenRefresher> logger)
{
    public async Task RefreshIfDueAsync(CookieValidatePrincipalContext context)
    {
        var properties = context.Properties;
        if (!DateTimeOffset.TryParse(properties.GetTokenValue("expires_at"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var expiresAt)
            || expiresAt - time.GetUtcNow() > options.Value.RefreshBefore)
        {
            return;
        }
        if (properties.GetTokenValue("refresh_token") is not { Length: > 0 } refreshToken)
        {
            await EndSessionAsync(context, "the provider gave no refresh token");
            return;
        }

        var oidc = oidcOptions.Get(OpenIdConnectDefaults.AuthenticationScheme);
        HttpResponseMessage response;
        try
        {
            var configuration = await oidc.ConfigurationManager!.GetConfigurationAsync(context.HttpContext.RequestAborted);
            response = await oidc.Backchannel.PostAsync(configuration.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "refresh_token",
                ["client_id"] = oidc.ClientId!,
                ["client_secret"] = oidc.ClientSecret!,
                ["refresh_token"] = refreshToken,
            }), context.HttpContext.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException && !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // The provider is away for now: keep the session, the next request tries again.
            LogRefreshUnavailable(logger, e.Message);
            return;
        }

        using (response)
        {
            if ((int)response.StatusCode >= 500)
            {
                LogRefreshUnavailable(logger, $"the token endpoint answered {(int)response.StatusCode}");
                return;
            }
            if (!response.IsSuccessStatusCode)
            {
                // invalid_grant: the provider's session ended (signed out elsewhere, idle too long, user disabled).
                await EndSessionAsync(context, $"the token endpoint refused the refresh token ({(int)response.StatusCode})");
                return;
            }
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(context.HttpContext.RequestAborted));
            var tokens = body.RootElement;
            properties.UpdateTokenValue("access_token", tokens.GetProperty("access_token").GetString()!);
            if (tokens.TryGetProperty("refresh_token", out var rotated) && rotated.GetString() is { Length: > 0 } newRefreshToken)
            {
                properties.UpdateTokenValue("refresh_token", newRefreshToken);
            }
            if (tokens.TryGetProperty("id_token", out var idToken) && idToken.GetString() is { Length: > 0 } newIdToken)
            {
                properties.UpdateTokenValue("id_token", newIdToken);
            }
            var lifetime = tokens.TryGetProperty("expires_in", out var expiresIn) ? expiresIn.GetInt32() : 60;
            properties.UpdateTokenValue("expires_at", time.GetUtcNow().AddSeconds(lifetime).ToString("o", CultureInfo.InvariantCulture));
            context.ShouldRenew = true;
        }
    }

    private async Task EndSessionAsync(CookieValidatePrincipalContext context, string reason)
    {
        LogSessionEnded(logger, reason);
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }

    [LoggerMessage(LogLevel.Warning, "Could not refresh a session's tokens ({Reason}); the session is kept and tried again on its next request.")]
    private static partial void LogRefreshUnavailable(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "A session ended: {Reason}.")]
    private static partial void LogSessionEnded(ILogger logger, string reason);
}
