package shipping

// Cost returns the shipping cost for a parcel weight in grams.
func Cost(grams int) int {
	if grams <= 0 {
		return 0
	}
	for _, band := range []int{500, 1000, 2000} {
		if grams <= band {
			return band / 100
		}
	}
	return 30
}
