using Q4.SyncService.Sync;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisClient("redis");
builder.AddNpgsqlDataSource("q4db");
builder.AddBidStreamSync();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
