namespace Q4.DevIdentity;

/// <summary>
/// Q4.DevIdentity accepts passwords written in plain text in a file in the repository. It must never become
/// someone's production login by accident, so outside Development it refuses to start unless told otherwise.
/// </summary>
public static class DevelopmentOnly
{
    public const string AllowKey = DevIdentityOptions.Section + ":" + nameof(DevIdentityOptions.AllowOutsideDevelopment);

    /// <summary>The reason not to start, or <see langword="null"/> when starting is fine.</summary>
    public static string? Refusal(WebApplicationBuilder builder) =>
        builder.Environment.IsDevelopment() || builder.Configuration.GetValue<bool>(AllowKey)
            ? null
            : $"Q4.DevIdentity is a development identity provider (known passwords, no real security) and refuses to " +
              $"run in the '{builder.Environment.EnvironmentName}' environment. Use Keycloak or another OpenID Connect " +
              $"provider there, or set {AllowKey}=true (environment variable DevIdentity__AllowOutsideDevelopment=true) " +
              $"if you really mean it.";
}
