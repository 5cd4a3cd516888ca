using System.Data.Common;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;
using Npgsql;
using Q4.Tests.Hosting;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Images;

public sealed record UploadedImageResponse(Guid Id, string Url);

/// <summary>The image endpoints as a test calls them, and what the upload left in PostgreSQL and S3.</summary>
public static class ImageClient
{
    /// <summary>The bucket the graph's services use (the default of <c>Images:Bucket</c>).</summary>
    public const string Bucket = "images";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>A multipart body with <paramref name="bytes"/> in <paramref name="field"/>, named and typed as the client likes.</summary>
    public static MultipartFormDataContent Form(byte[] bytes, string fileName = "photo.png", string declaredType = "image/png", string field = "file")
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse(declaredType);
        return new MultipartFormDataContent { { file, field, fileName } };
    }

    public static Task<HttpResponseMessage> UploadAsync(this TestUser user, HttpContent content, int replica = 0) =>
        user.Api(replica).PostAsync("/images", content, Cancellation);

    /// <summary>Uploads an image that must be accepted.</summary>
    public static async Task<UploadedImageResponse> UploadImageAsync(this TestUser user, byte[] bytes, string declaredType = "image/png", int replica = 0)
    {
        using var response = await user.UploadAsync(Form(bytes, declaredType: declaredType), replica);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Cancellation));
        return (await response.Content.ReadFromJsonAsync<UploadedImageResponse>(Cancellation))!;
    }

    public static async Task<Guid> IdAsync(this TestUser user) => (await user.GetMeAsync(0, Cancellation)).Id;

    /// <summary>Ids of the user's rows in <c>images</c>.</summary>
    public static async Task<List<Guid>> ImageRowsOfAsync(this AppHostProcess app, Guid uploaderId)
    {
        await using var connection = await SyncStore.OpenAsync(app);
        await using var command = new NpgsqlCommand("SELECT id FROM images WHERE uploader_id = $1", connection)
        {
            Parameters = { new() { Value = uploaderId } },
        };
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        while (await reader.ReadAsync(Cancellation))
        {
            ids.Add(reader.GetGuid(0));
        }
        return ids;
    }

    /// <summary>Makes an upload look <paramref name="age"/> old, as if it had waited that long.</summary>
    public static async Task BackdateAsync(this AppHostProcess app, Guid imageId, TimeSpan age)
    {
        await using var connection = await SyncStore.OpenAsync(app);
        await using var command = new NpgsqlCommand("UPDATE images SET created_at = now() - $2 WHERE id = $1", connection)
        {
            Parameters = { new() { Value = imageId }, new() { Value = age } },
        };
        Assert.Equal(1, await command.ExecuteNonQueryAsync(Cancellation));
    }

    /// <summary>Keys of the objects under the user's prefix in the image bucket.</summary>
    public static async Task<List<string>> ImageObjectsOfAsync(this AppHostProcess app, Guid uploaderId)
    {
        using var minio = CreateStorageClient(app);
        var keys = new List<string>();
        try
        {
            var listing = new ListObjectsArgs().WithBucket(Bucket).WithPrefix($"users/{uploaderId}/").WithRecursive(true);
            await foreach (var item in minio.ListObjectsEnumAsync(listing, Cancellation))
            {
                keys.Add(item.Key);
            }
        }
        catch (BucketNotFoundException)
        {
            // Nothing was ever uploaded to this graph.
        }
        return keys;
    }

    /// <summary>An S3 client for the graph's storage, from its connection string (<c>Endpoint=...;AccessKey=...;SecretKey=...</c>).</summary>
    public static IMinioClient CreateStorageClient(AppHostProcess app)
    {
        var settings = new DbConnectionStringBuilder { ConnectionString = app.GetConnectionString("storage") };
        var endpoint = new Uri((string)settings["Endpoint"]);
        return new MinioClient().WithEndpoint(endpoint.Authority)
            .WithCredentials((string)settings["AccessKey"], (string)settings["SecretKey"])
            .WithHttpClient(new HttpClient(new S3NamespaceFix { InnerHandler = new HttpClientHandler() }), disposeHttpClient: true)
            .Build();
    }

    /// <summary>
    /// s3rver 3.7.1 answers listings in the namespace <c>http://doc.s3.amazonaws.com/2006-03-01/</c> where S3 uses
    /// <c>http://s3.amazonaws.com/doc/2006-03-01/</c>; Minio's parser then finds no entries at all and reports an empty
    /// bucket. Correcting the namespace on the way in lets the test list what is really there.
    /// </summary>
    private sealed class S3NamespaceFix : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method == HttpMethod.Get && response.Content.Headers.ContentType?.MediaType is "application/xml")
            {
                var xml = await response.Content.ReadAsStringAsync(cancellationToken);
                var content = new StringContent(xml.Replace("http://doc.s3.amazonaws.com/2006-03-01/", "http://s3.amazonaws.com/doc/2006-03-01/"));
                content.Headers.ContentType = response.Content.Headers.ContentType;
                response.Content = content;
            }
            return response;
        }
    }
}
