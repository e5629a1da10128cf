// Command fakeapp stands in for the app in update tests: it prints the
// version it was built with.
package main

import "fmt"

var version = "0.0.0"

func main() { fmt.Println("neurodeskapp", version) }
