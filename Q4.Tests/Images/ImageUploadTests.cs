using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Npgsql;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Images;

public sealed class ImageUploadTests(GraphFixture graph)
{
    /// <summary>The default of <c>Images:MaxBytes</c>.</summary>
    private const int MaxBytes = 5 * 1024 * 1024;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Theory]
    [InlineData("image/png")]
    [InlineData("image/jpeg")]
    [InlineData("image/gif")]
    [InlineData("image/webp")]
    public async Task Each_format_is_stored_and_served_back_unchanged_with_immutable_caching(string contentType)
    {
        using var user = TestUser.Fresh(App);
        var bytes = ImageFiles.Of(contentType);
        // Declared as something else on purpose: only the bytes count.
        using var response = await user.UploadAsync(ImageClient.Form(bytes, "upload.bin", "application/octet-stream"));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Cancellation));
        var uploaded = (await response.Content.ReadFromJsonAsync<UploadedImageResponse>(Cancellation))!;
        Assert.Equal($"/images/{uploaded.Id}", uploaded.Url);
        Assert.Equal(uploaded.Url, response.Headers.Location?.OriginalString);
        var userId = await user.IdAsync();
        Assert.Equal([uploaded.Id], await App.ImageRowsOfAsync(userId));
        Assert.Equal([$"users/{userId}/{uploaded.Id}"], await App.ImageObjectsOfAsync(userId));

        // Anyone may read it, from either replica.
        for (var replica = 0; replica < 2; replica++)
        {
            using var anonymous = App.CreateHttpClient("apiservice", replica);
            using var image = await anonymous.GetAsync(uploaded.Url, Cancellation);
            Assert.Equal(HttpStatusCode.OK, image.StatusCode);
            Assert.Equal(bytes, await image.Content.ReadAsByteArrayAsync(Cancellation));
            Assert.Equal(contentType, image.Content.Headers.ContentType?.MediaType);
            Assert.Equal(bytes.Length, image.Content.Headers.ContentLength);
            var caching = image.Headers.CacheControl!;
            Assert.True(caching.Public);
            Assert.Equal(TimeSpan.FromDays(365), caching.MaxAge);
            Assert.Contains(caching.Extensions, e => e.Name == "immutable");
            var etag = image.Headers.ETag;
            Assert.NotNull(etag);

            using var conditional = new HttpRequestMessage(HttpMethod.Get, uploaded.Url);
            conditional.Headers.IfNoneMatch.Add(etag);
            using var notModified = await anonymous.SendAsync(conditional, Cancellation);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Empty(await notModified.Content.ReadAsByteArrayAsync(Cancellation));
            Assert.Equal(etag, notModified.Headers.ETag);
        }
    }

    [Fact]
    public async Task An_unknown_image_is_404()
    {
        using var anonymous = App.CreateHttpClient("apiservice");
        using var response = await anonymous.GetAsync($"/images/{Guid.CreateVersion7()}", Cancellation);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task An_image_whose_object_is_missing_is_404_not_500()
    {
        using var user = TestUser.Fresh(App);
        var image = await user.UploadImageAsync(ImageFiles.Png());
        using var anonymous = App.CreateHttpClient("apiservice");
        using (var first = await anonymous.GetAsync(image.Url, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        var userId = await user.IdAsync();
        using (var storage = ImageClient.CreateStorageClient(App))
        {
            await storage.RemoveObjectAsync(new Minio.DataModel.Args.RemoveObjectArgs()
                .WithBucket(ImageClient.Bucket).WithObject($"users/{userId}/{image.Id}"), Cancellation);
        }
        Assert.Equal([image.Id], await App.ImageRowsOfAsync(userId)); // the row is still there (and cached)

        using var response = await anonymous.GetAsync(image.Url, Cancellation);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
        Assert.Null(response.Headers.ETag);
        Assert.True(response.Headers.CacheControl?.NoStore, "a 404 must not be cached as if it were the image");
    }

    [Fact]
    public async Task Uploading_needs_a_signed_in_user()
    {
        using var anonymous = App.CreateHttpClient("apiservice");
        using var response = await anonymous.PostAsync("/images", ImageClient.Form(ImageFiles.Png()), Cancellation);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    public static TheoryData<string, HttpStatusCode, string> BadUploads => new()
    {
        { "empty file", HttpStatusCode.BadRequest, "validation" },
        { "no file field", HttpStatusCode.BadRequest, "validation" },
        { "truncated png", HttpStatusCode.UnsupportedMediaType, "unsupported_type" },
        { "png without IHDR first", HttpStatusCode.UnsupportedMediaType, "unsupported_type" },
        { "truncated jpeg", HttpStatusCode.UnsupportedMediaType, "unsupported_type" },
        { "truncated gif", HttpStatusCode.UnsupportedMediaType, "unsupported_type" },
        { "truncated webp", HttpStatusCode.UnsupportedMediaType, "unsupported_type" },
        { "html named .png", HttpStatusCode.UnsupportedMediaType, "unsupported_type" },
        { "svg named .png", HttpStatusCode.UnsupportedMediaType, "unsupported_type" },
        { "json instead of multipart", HttpStatusCode.UnsupportedMediaType, "unsupported_type" },
        { "one byte over the limit", HttpStatusCode.RequestEntityTooLarge, "too_large" },
    };

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task A_bad_upload_gets_a_clear_answer_and_stores_nothing(string upload, HttpStatusCode status, string code)
    {
        using var user = TestUser.Fresh(App);
        var png = ImageFiles.Png();
        HttpContent content = upload switch
        {
            "empty file" => ImageClient.Form([]),
            "no file field" => ImageClient.Form(png, field: "photo"),
            "truncated png" => ImageClient.Form(png[..^6]),
            "png without IHDR first" => ImageClient.Form([.. png[..8], .. png[33..]]),
            "truncated jpeg" => ImageClient.Form(ImageFiles.Jpeg()[..^2], "photo.jpg", "image/jpeg"),
            "truncated gif" => ImageClient.Form(ImageFiles.Gif()[..^1], "photo.gif", "image/gif"),
            "truncated webp" => ImageClient.Form(ImageFiles.WebP()[..^3], "photo.webp", "image/webp"),
            "html named .png" => ImageClient.Form("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"u8.ToArray()),
            "svg named .png" => ImageClient.Form(
                """<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>"""u8.ToArray()),
            "json instead of multipart" => JsonContent.Create(new { file = Convert.ToBase64String(png) }),
            "one byte over the limit" => ImageClient.Form([.. png, .. new byte[MaxBytes + 1 - png.Length]]),
            _ => throw new ArgumentOutOfRangeException(nameof(upload)),
        };
        using (content)
        {
            using var response = await user.UploadAsync(content);
            await ProblemAssert.IsProblemAsync(response, status, code);
        }
        await AssertNothingStoredAsync(await user.IdAsync());
    }

    /// <summary>
    /// 50 MB sent as a stream that counts what it gave away: the server must refuse it without taking it all, whether
    /// the length is declared (refused before reading) or not (reading stops just past the limit). Kestrel then closes
    /// the connection while the client still writes, so a plain client usually sees a broken connection rather than
    /// the 413; what the server took is judged by the bytes written. A client that asks <c>Expect: 100-continue</c>
    /// gets the 413 itself, before sending any of the body.
    /// </summary>
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task A_50_MB_body_is_refused_without_being_read(bool declareLength, bool expectContinue)
    {
        const long Total = 50L * 1024 * 1024;
        using var user = TestUser.Fresh(App);
        var file = new CountingContent(ImageFiles.Png(), Total, declareLength);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/images")
        {
            Content = new MultipartFormDataContent { { file, "file", "huge.png" } },
        };
        request.Headers.ExpectContinue = expectContinue;
        HttpResponseMessage? response = null;
        try
        {
            response = await user.Api().SendAsync(request, Cancellation);
        }
        catch (HttpRequestException) when (!expectContinue)
        {
            // The server closed the connection mid-upload; the written count below still has to show it stopped early.
        }
        using (response)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"answer: {(response is null ? "connection closed" : (int)response.StatusCode)}; written: {file.Written} of {Total} bytes");
            if (response is not null)
            {
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "too_large");
            }
            Assert.True(file.Written < (expectContinue ? 1 : Total / 2), $"the client wrote {file.Written} of {Total} bytes before the answer");
        }
        await AssertNothingStoredAsync(await user.IdAsync());
    }

    [Fact]
    public async Task Ten_uploads_an_hour_per_user_across_both_replicas_and_refused_ones_do_not_count()
    {
        using var user = TestUser.Fresh(App);
        using (var refused = await user.UploadAsync(ImageClient.Form("<html></html>"u8.ToArray())))
        {
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.UnsupportedMediaType, "unsupported_type");
        }
        for (var upload = 0; upload < 10; upload++)
        {
            await user.UploadImageAsync(ImageFiles.Gif(), "image/gif", replica: upload % 2);
        }
        for (var replica = 0; replica < 2; replica++)
        {
            using var limited = await user.UploadAsync(ImageClient.Form(ImageFiles.Gif(), "photo.gif", "image/gif"), replica);
            await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests, "rate_limited");
            var retryAfter = limited.Headers.RetryAfter?.Delta;
            Assert.NotNull(retryAfter);
            Assert.InRange(retryAfter.Value.TotalSeconds, 1, 3600);
        }
        var userId = await user.IdAsync();
        Assert.Equal(10, (await App.ImageRowsOfAsync(userId)).Count);
        Assert.Equal(10, (await App.ImageObjectsOfAsync(userId)).Count);
    }

    [Fact]
    public async Task Twenty_uploads_at_once_on_both_replicas_store_exactly_ten()
    {
        using var user = TestUser.Fresh(App);
        _ = user.Api(0);
        _ = user.Api(1);
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async upload =>
        {
            using var response = await user.UploadAsync(ImageClient.Form(ImageFiles.Gif(), "photo.gif", "image/gif"), upload % 2);
            return response.StatusCode;
        }));
        Assert.Equal(10, answers.Count(status => status == HttpStatusCode.Created));
        Assert.Equal(10, answers.Count(status => status == HttpStatusCode.TooManyRequests));
        var userId = await user.IdAsync();
        Assert.Equal(10, (await App.ImageRowsOfAsync(userId)).Count);
        Assert.Equal(10, (await App.ImageObjectsOfAsync(userId)).Count);
    }

    [Fact]
    public async Task An_auction_takes_the_sellers_recent_uploads_only()
    {
        using var seller = TestUser.Fresh(App);
        using var someoneElse = TestUser.Fresh(App);
        var foreign = await someoneElse.UploadImageAsync(ImageFiles.Png());
        var own = await seller.UploadImageAsync(ImageFiles.Png());
        var stale = await seller.UploadImageAsync(ImageFiles.Png());
        // Older than the default housekeeping lifetime (one day): it may be swept at any moment.
        await App.BackdateAsync(stale.Id, TimeSpan.FromDays(2));

        foreach (var refusedImage in new[] { foreign.Id, stale.Id })
        {
            using var refused = await CreateAuctionAsync(seller, refusedImage);
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "validation");
            Assert.True(problem.GetProperty("errors").TryGetProperty("imageIds", out _), problem.ToString());
        }

        using var created = await CreateAuctionAsync(seller, own.Id);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var auction = (await created.Content.ReadFromJsonAsync<AuctionResponse>(Cancellation))!;
        Assert.Equal([new ImageRefResponse(own.Id, own.Url)], auction.Images);
        Assert.Equal(own.Url, auction.ThumbnailUrl);
        Assert.Equal([own.Id], (await seller.GetAuctionAsync(auction.Id)).Images.Select(i => i.Id));
    }

    /// <summary>
    /// Housekeeping may delete an image after the API checked it and before the auction's insert. The test holds the
    /// image row locked (as a sweep does), lets the API's insert wait on it, then deletes the row: the insert's
    /// foreign key fails, and the seller gets a 400 on <c>imageIds</c>, not a 500, with no auction written.
    /// </summary>
    [Fact]
    public async Task An_image_swept_while_its_auction_is_created_is_a_validation_error()
    {
        using var seller = TestUser.Fresh(App);
        var image = await seller.UploadImageAsync(ImageFiles.Png());
        await using var sweep = await SyncStore.OpenAsync(App);
        await using var transaction = await sweep.BeginTransactionAsync(Cancellation);
        await using (var take = new NpgsqlCommand("SELECT id FROM images WHERE id = $1 FOR UPDATE", sweep, transaction)
        {
            Parameters = { new() { Value = image.Id } },
        })
        {
            Assert.Equal(image.Id, await take.ExecuteScalarAsync(Cancellation));
        }

        var creating = CreateAuctionAsync(seller, image.Id);
        var waiting = await SyncStore.EventuallyAsync(async () =>
        {
            await using var probe = await SyncStore.OpenAsync(App);
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%auction_images%'", probe);
            return (long)(await command.ExecuteScalarAsync(Cancellation))! > 0;
        }, TimeSpan.FromSeconds(15), pollMs: 50);
        Assert.True(waiting, "the auction's insert never waited on the locked image row");
        await using (var delete = new NpgsqlCommand("DELETE FROM images WHERE id = $1", sweep, transaction)
        {
            Parameters = { new() { Value = image.Id } },
        })
        {
            Assert.Equal(1, await delete.ExecuteNonQueryAsync(Cancellation));
        }
        await transaction.CommitAsync(Cancellation);

        using var response = await creating;
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty("imageIds", out _), problem.ToString());
        await using var count = new NpgsqlCommand("SELECT count(*) FROM auctions WHERE seller_id = $1", sweep)
        {
            Parameters = { new() { Value = await seller.IdAsync() } },
        };
        Assert.Equal(0L, await count.ExecuteScalarAsync(Cancellation));
    }

    private static Task<HttpResponseMessage> CreateAuctionAsync(TestUser seller, Guid imageId) =>
        seller.Api().PostAsJsonAsync("/auctions", new
        {
            title = "Lantern",
            description = "Brass, with its glass.",
            startingPrice = 100,
            minIncrement = 10,
            endsAt = DateTimeOffset.UtcNow.AddHours(1),
            imageIds = new[] { imageId },
        }, Cancellation);

    private async Task AssertNothingStoredAsync(Guid userId)
    {
        Assert.Empty(await App.ImageRowsOfAsync(userId));
        Assert.Empty(await App.ImageObjectsOfAsync(userId));
    }

    /// <summary>A PNG header followed by zeros up to <c>total</c> bytes, written in 64 KiB pieces and counted.</summary>
    private sealed class CountingContent : HttpContent
    {
        private readonly byte[] _start;
        private readonly long _total;
        private readonly bool _declareLength;
        private long _written;

        public CountingContent(byte[] start, long total, bool declareLength)
        {
            _start = start;
            _total = total;
            _declareLength = declareLength;
            Headers.ContentType = new MediaTypeHeaderValue("image/png");
        }

        public long Written => Interlocked.Read(ref _written);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var piece = new byte[64 * 1024];
            _start.CopyTo(piece, 0);
            while (Written < _total)
            {
                var size = (int)Math.Min(piece.Length, _total - Written);
                await stream.WriteAsync(piece.AsMemory(0, size), cancellationToken);
                Interlocked.Add(ref _written, size);
                Array.Clear(piece, 0, _start.Length);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = _total;
            return _declareLength;
        }
    }
}
