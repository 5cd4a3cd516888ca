using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Q4.Tests.Browser;
using Q4.Tests.Users;

namespace Q4.Tests.Dashboard;

/// <summary>
/// The dashboard can stop processes and shows every secret of the graph: a browser signs in with the token the AppHost
/// printed, a program sends the OTLP key, and everyone else gets 401 and nothing.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardAccessTests(DashboardGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/")]
    [InlineData("/traces")]
    [InlineData("/console")]
    [InlineData("/export")]
    [InlineData("/api/resources")]
    [InlineData("/api/telemetry/export")]
    [InlineData("/api/telemetry/traces")]
    [InlineData("/logs/apiservice-0")]
    public async Task Without_the_token_or_the_key_the_dashboard_answers_401_and_nothing(string path)
    {
        using var stranger = new HttpClient { BaseAddress = new Uri(graph.DashboardUrl) };
        using (var response = await stranger.GetAsync(path, Cancellation))
        {
            var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "sign_in_required");
            Assert.DoesNotContain("apiservice", problem.GetRawText());
        }

        using var wrongKey = new HttpRequestMessage(HttpMethod.Get, path);
        wrongKey.Headers.Add("x-otlp-api-key", new string('0', graph.App.DashboardKey.Length));
        using (var response = await stranger.SendAsync(wrongKey, Cancellation))
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "sign_in_required");
        }

        using var program = graph.App.CreateHttpClient("apphost");
        using (var response = await program.GetAsync(path, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Theory]
    [InlineData("/api/resources/apiservice-1/restart")]
    [InlineData("/api/resources/syncservice/stop")]
    [InlineData("/api/telemetry/import")]
    [InlineData("/_blazor/negotiate?negotiateVersion=1")]
    public async Task Without_the_token_or_the_key_nothing_can_be_done_either(string path)
    {
        using var program = graph.App.CreateHttpClient("apphost");
        var before = await ServicePidsAsync(program);
        using var stranger = new HttpClient { BaseAddress = new Uri(graph.DashboardUrl) };
        using var response = await stranger.PostAsync(path, new ByteArrayContent([]), Cancellation);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "sign_in_required");
        Assert.Equal(before, await ServicePidsAsync(program));
    }

    private static async Task<List<int>> ServicePidsAsync(HttpClient dashboard)
    {
        var resources = await dashboard.GetFromJsonAsync<List<Q4.Dashboard.Resources.ResourceSnapshot>>("/api/resources", Cancellation);
        return [.. resources!.Where(r => r.Name is "apiservice" or "syncservice").SelectMany(r => r.Processes).Select(p => p.Pid).Order()];
    }

    [Fact]
    public async Task A_wrong_browser_token_is_refused_and_leaves_no_cookie()
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true };
        using var browser = new HttpClient(handler) { BaseAddress = new Uri(graph.DashboardUrl) };
        var token = new Uri(graph.App.DashboardLoginUrl).Query["?t=".Length..];
        var wrong = string.Concat(token.Select(c => c == '0' ? '1' : '0'));

        using (var refused = await browser.GetAsync($"/login?t={wrong}", Cancellation))
        {
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, "invalid_browser_token");
        }
        using (var missing = await browser.GetAsync("/login", Cancellation))
        {
            await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.Unauthorized, "invalid_browser_token");
        }
        Assert.Empty(handler.CookieContainer.GetAllCookies());
        using (var still = await browser.GetAsync("/api/resources", Cancellation))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, still.StatusCode);
        }

        using (var signedIn = await browser.GetAsync($"/login?t={token}", Cancellation))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            Assert.Equal("/", signedIn.Headers.Location?.OriginalString);
        }
        var resources = await browser.GetFromJsonAsync<List<Q4.Dashboard.Resources.ResourceSnapshot>>("/api/resources", Cancellation);
        Assert.Contains(resources!, r => r.Name == "apiservice");
    }

    [Fact]
    public async Task A_browser_signs_in_with_the_printed_address_and_sees_the_resources()
    {
        var context = await graph.NewContextAsync();
        var page = await context.NewPageAsync();
        var refused = await page.GotoAsync("/");
        Assert.Equal(401, refused!.Status);

        var signedIn = await graph.SignedInPageAsync();
        await Assertions.Expect(signedIn.GetByRole(AriaRole.Heading, new() { Name = "Resources", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(signedIn.GetByText("apiservice-1").First).ToBeVisibleAsync();
        await signedIn.ScreenshotAsync("dashboard-resources");
    }

    [Fact]
    public async Task Unsecured_on_request_the_dashboard_is_open_and_the_apphost_warns_about_it()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(["--AppHost:DashboardUnsecured", "true"], Cancellation);
        await using var app = await builder.BuildAsync(Cancellation);
        await app.StartAsync(Cancellation);

        Assert.Contains("The dashboard is unsecured", app.Output);
        Assert.Equal(app.GetUrls("apphost")[0], app.DashboardLoginUrl);
        using var anyone = new HttpClient { BaseAddress = new Uri(app.GetUrls("apphost")[0]) };
        var resources = await anyone.GetFromJsonAsync<List<Q4.Dashboard.Resources.ResourceSnapshot>>("/api/resources", Cancellation);
        Assert.Contains(resources!, r => r.Name == "apiservice");
        using var page = await anyone.GetAsync("/", Cancellation);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }
}
