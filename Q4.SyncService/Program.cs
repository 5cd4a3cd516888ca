var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisClient("redis");
builder.AddNpgsqlDataSource("q4db");

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
