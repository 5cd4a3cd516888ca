using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using Q4.DevIdentity.Realm;

namespace Q4.DevIdentity.Keys;

/// <summary>
/// Gives OpenIddict its keys and lifetimes once options and realm are known (they come from configuration and the
/// realm file, not from code): one RS256 signing key, one RSA encryption key for codes and refresh tokens.
/// </summary>
internal sealed class ServerKeys(IOptions<DevIdentityOptions> options, IHostEnvironment environment, RealmModel realm)
    : IConfigureOptions<OpenIddictServerOptions>
{
    public const string SigningKeyFile = "signing-key.pem";
    public const string EncryptionKeyFile = "encryption-key.pem";

    public void Configure(OpenIddictServerOptions server)
    {
        var directory = DataDirectory.Resolve(options.Value, environment);

        var signing = RsaKeyFile.LoadOrCreate(Path.Combine(directory, SigningKeyFile));
        server.SigningCredentials.Add(new SigningCredentials(signing, SecurityAlgorithms.RsaSha256));

        var encryption = RsaKeyFile.LoadOrCreate(Path.Combine(directory, EncryptionKeyFile));
        server.EncryptionCredentials.Add(new EncryptingCredentials(
            encryption, SecurityAlgorithms.RsaOAEP, SecurityAlgorithms.Aes256CbcHmacSha512));

        // Keycloak uses the realm's accessTokenLifespan for access and ID tokens, and ends a refresh token's life
        // with the SSO session's idle timeout.
        var accessTokenLifetime = options.Value.AccessTokenLifetime ?? realm.AccessTokenLifetime;
        server.AccessTokenLifetime = accessTokenLifetime;
        server.IdentityTokenLifetime = accessTokenLifetime;
        if (realm.SsoSessionIdleTimeout > TimeSpan.Zero)
        {
            server.RefreshTokenLifetime = realm.SsoSessionIdleTimeout;
        }
    }
}
