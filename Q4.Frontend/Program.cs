using Q4.Frontend.Api;
using Q4.Frontend.Bidding;
using Q4.Frontend.Components;
using Q4.Frontend.Live;
using Q4.Frontend.Sell;
using Q4.Frontend.SignIn;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddMemoryCache();
builder.AddRedisClient("redis");

builder.AddSignIn();
builder.AddApiClient();
builder.AddLiveEvents();

builder.Services.AddRazorComponents();

var app = builder.Build();

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/error", createScopeForErrors: true);
}
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseAuthentication();
app.UseAuthorization();
app.UseSignInOnUnauthorized();
app.UseAntiforgery();

app.MapStaticAssets();
app.MapDefaultEndpoints();
app.MapSignInApi();
app.MapLiveApi();
app.MapBidApi();
app.MapSellApi();
app.MapRazorComponents<App>();

app.Run();
