using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.ServiceDiscovery;
using Yarp.ReverseProxy.Forwarder;

namespace Q4.Frontend.Live;

/// <summary>
/// What the browser fetches from the API itself, through the front end's own origin and at the API's own paths:
/// the auctions' event streams and the photos. An auction's own stream is relayed (<see cref="AuctionRelay"/>: one
/// stream from the API per auction, however many browsers watch it here); the rest YARP forwards as they come (a
/// stream stays a stream, <c>Last-Event-ID</c> goes along).
/// </summary>
public static class LiveApi
{
    /// <summary>The API as service discovery names it; the same name the API client uses.</summary>
    public const string ApiService = "https+http://apiservice";

    public static IHostApplicationBuilder AddLiveEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpForwarder();
        builder.Services.AddSingleton<ApiForwarder>();
        builder.AddValidatedOptions<LiveOptions>(LiveOptions.Section);
        // Meter Q4.Live: the browsers this replica relays to.
        builder.Services.AddSingleton(sp => new LiveEventsMetrics(sp.GetRequiredService<IMeterFactory>(), "Q4.Live"));
        builder.Services.AddSingleton<AuctionRelay>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AuctionRelay>());
        return builder;
    }

    public static WebApplication MapLiveApi(this WebApplication app)
    {
        var forwarder = app.Services.GetRequiredService<ApiForwarder>();
        var relay = app.Services.GetRequiredService<AuctionRelay>();
        app.MapGet("/auctions/{id:guid}/events", (Guid id, HttpContext context) => relay.WatchAsync(context, id));
        app.MapGet("/auctions/events", forwarder.ForwardAsync);
        app.MapGet("/images/{id:guid}", forwarder.ForwardAsync);
        return app;
    }
}

/// <summary>
/// Forwards one request to a replica of the API, the next one in turn; when a replica cannot be reached (it died,
/// say) the others are tried before the browser sees an error. That matters for event streams: a browser's
/// EventSource reconnects on its own after a dropped stream, but gives up for good on an error status.
/// </summary>
internal sealed class ApiForwarder(IHttpForwarder forwarder, ServiceEndpointResolver resolver)
{
    private static readonly ForwarderRequestConfig RequestConfig = new()
    {
        // Streams are open for as long as someone watches; the API sends heartbeats, so a dead one is still noticed.
        ActivityTimeout = TimeSpan.FromMinutes(2),
    };

    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
    });

    private int _next;

    /// <summary>What the API is reached through, for requests the front end makes itself.</summary>
    public HttpMessageInvoker Invoker => _invoker;

    public Task ForwardAsync(HttpContext context) => ForwardWithAsync(context, HttpTransformer.Default);

    /// <summary>The base addresses of the API's replicas, the next one in turn first.</summary>
    public async Task<IReadOnlyList<string>> DestinationsAsync(CancellationToken ct)
    {
        var endpoints = (await resolver.GetEndpointsAsync(LiveApi.ApiService, ct)).Endpoints;
        var first = Interlocked.Increment(ref _next);
        return Enumerable.Range(0, endpoints.Count)
            .Select(attempt => endpoints[(int)((uint)(first + attempt) % endpoints.Count)].EndPoint switch
            {
                UriEndPoint uri => uri.Uri.ToString(),
                DnsEndPoint dns => $"http://{dns.Host}:{dns.Port}/",
                var other => $"http://{other}/",
            })
            .ToList();
    }

    /// <summary>As <see cref="ForwardAsync"/>, with <paramref name="transformer"/> shaping the request sent to the API.</summary>
    public async Task ForwardWithAsync(HttpContext context, HttpTransformer transformer)
    {
        var destinations = await DestinationsAsync(context.RequestAborted);
        for (var attempt = 0; attempt < destinations.Count; attempt++)
        {
            var error = await forwarder.SendAsync(context, destinations[attempt], _invoker, RequestConfig, transformer);
            // Only a replica that could not be reached at all is passed over; anything it answered goes to the browser.
            if (error != ForwarderError.Request || context.Response.HasStarted || attempt == destinations.Count - 1)
            {
                return;
            }
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.StatusCode = StatusCodes.Status200OK;
        }
        context.Response.StatusCode = StatusCodes.Status502BadGateway;
    }
}
