using Q4.SyncService.Housekeeping;
using Q4.SyncService.Sync;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisClient("redis");
builder.AddNpgsqlDataSource("q4db");
builder.AddMinioClient("storage");
builder.AddBidStreamSync();
builder.AddHousekeeping();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
