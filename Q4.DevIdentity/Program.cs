using Microsoft.Extensions.Options;
using Q4.DevIdentity;
using Q4.DevIdentity.Keys;
using Q4.DevIdentity.Realm;

var builder = WebApplication.CreateBuilder(args);

if (DevelopmentOnly.Refusal(builder) is { } refusal)
{
    await Console.Error.WriteLineAsync(refusal);
    return 1;
}

builder.AddServiceDefaults();
builder.AddDevIdentity();

var app = builder.Build();

try
{
    app.UseDevIdentity();
}
catch (Exception e) when (e is OptionsValidationException or RealmFileException or KeyFileException)
{
    // A wrong setting, a broken realm file or key file: one line saying which, not a stack trace.
    await Console.Error.WriteLineAsync(e.Message);
    return 1;
}
app.MapDefaultEndpoints();
app.MapDevIdentityEndpoints();

await app.RunAsync();
return 0;
