using Q4.ApiService.Auctions;
using Q4.ApiService.Bidding;
using Q4.ApiService.Events;
using Q4.ApiService.Identity;
using Q4.ApiService.Images;
using Q4.ApiService.Infrastructure;
using Q4.ApiService.Users;
using Q4.Data;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
// The OpenAPI contract; early, because while the build writes the document it stands in for the stores' settings.
builder.AddApiContract();
builder.Services.AddSingleton(TimeProvider.System);
builder.AddInProcessCache();
builder.AddRedisClient("redis");
builder.AddNpgsqlDbContext<Q4DbContext>(Q4DbContext.ConnectionName, Q4DbContext.Configure);
builder.AddMinioClient("storage");

builder.AddQ4Identity();
builder.AddAuctions();
builder.AddBidding();
builder.AddAuctionEvents();
builder.AddImages();

builder.Services.AddQ4ProblemDetails();
builder.WithoutBackgroundWorkWhileWritingDocument();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapOpenApi();
app.MapDefaultEndpoints();
app.MapUsersApi();
app.MapAuctionsApi().MapBiddingApi().MapEventsApi();
app.MapImagesApi();

app.Run();
