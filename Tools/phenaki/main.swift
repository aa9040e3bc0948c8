print("phenaki")
