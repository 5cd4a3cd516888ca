using System.Net.Http.Headers;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Q4.Frontend.Live;
using Yarp.ReverseProxy.Forwarder;

namespace Q4.Frontend.Sell;

/// <summary>
/// The sell page's photo uploads. The browser sends each photo to the front end's own origin, which passes the
/// multipart body on to the API's <c>POST /images</c> as it streams in, with the user's access token (tokens never
/// reach the browser), and hands back the API's answer unchanged: its status, its ProblemDetails, its
/// <c>Retry-After</c>. So the page can show each file's progress and the API's own reason for refusing it.
/// </summary>
public static class SellApi
{
    public const string PhotosPath = "/sell/photos";

    public static WebApplication MapSellApi(this WebApplication app)
    {
        app.MapPost(PhotosPath, UploadPhotoAsync);
        return app;
    }

    private static async Task UploadPhotoAsync(HttpContext context, IAntiforgery antiforgery, ApiForwarder forwarder)
    {
        if (context.User.Identity?.IsAuthenticated != true
            || await context.GetTokenAsync("access_token") is not { Length: > 0 } token)
        {
            await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign in to upload photos.",
                extensions: new Dictionary<string, object?> { ["code"] = "signed_out" }).ExecuteAsync(context);
            return;
        }
        // The session cookie rides along with any request the browser makes, whoever's page asked: the page's
        // antiforgery token (sent as a header, so the body is left for the API) shows it was ours.
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            await Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The page has expired; reload it and try again.",
                extensions: new Dictionary<string, object?> { ["code"] = "antiforgery" }).ExecuteAsync(context);
            return;
        }
        await forwarder.ForwardWithAsync(context, new ToImagesTransformer(token));
    }

    /// <summary>Sends the request to <c>POST /images</c> with the user's token instead of the front end's cookies.</summary>
    private sealed class ToImagesTransformer(string token) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest,
            string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, "/images", QueryString.Empty);
            proxyRequest.Headers.Remove("Cookie");
            proxyRequest.Headers.Remove(AntiforgeryHeader);
            proxyRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    /// <summary>Where the page's script puts the antiforgery token (ASP.NET Core's default header name).</summary>
    public const string AntiforgeryHeader = "RequestVerificationToken";
}
