module github.com/signalbox/signalbox

go 1.26

replace github.com/signalbox/signalbox/sdk => ./sdk
